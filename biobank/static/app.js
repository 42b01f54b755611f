// Scan station and page behaviour. Loaded as a file (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  document.addEventListener("htmx:configRequest", function (ev) {
    if (csrf) { ev.detail.headers["X-CSRFToken"] = csrf.getAttribute("content"); }
  });

  var sounds = {};
  function play(name) {
    if (!name) { return; }
    var a = sounds[name];
    if (!a) { a = sounds[name] = new Audio("/static/sounds/" + name + ".wav"); }
    try { a.currentTime = 0; var p = a.play(); if (p && p.catch) { p.catch(function () {}); } } catch (e) { /* no audio device */ }
  }

  function keepFocus() {
    var input = document.querySelector("[data-scan-input]");
    if (input && document.activeElement !== input && !document.querySelector("dialog[open]")) {
      // Take focus back only when nothing has it (a click on the page, a swapped result):
      // a field being typed into, or a link/button reached with Tab, keeps it.
      var active = document.activeElement;
      if (!active || active === document.body || active === document.documentElement) {
        input.focus();
      }
    }
  }

  // Keyboard alone: Escape (or F2) from anywhere on a scan screen returns to the scan input,
  // cleared, ready for the next label.
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape" && ev.key !== "F2") { return; }
    var input = document.querySelector("[data-scan-input]");
    if (!input || document.querySelector("dialog[open]")) { return; }
    if (ev.key === "Escape" || document.activeElement !== input) {
      input.value = "";
      input.focus();
      ev.preventDefault();
    }
  });

  function afterResult(root) {
    var result = (root || document).querySelector("[data-sound]");
    if (result) { play(result.getAttribute("data-sound")); }
    var input = document.querySelector("[data-scan-input]");
    if (input) { input.value = ""; input.focus(); }
  }

  document.addEventListener("htmx:afterSwap", function (ev) { afterResult(ev.detail.target); });
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.querySelector("[data-scan-input]");
    if (input) {
      input.focus();
      if (document.querySelector("[data-sound]")) { afterResult(document); }
      setInterval(keepFocus, 1500);
    }
  });
})();
