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
      var tag = document.activeElement && document.activeElement.tagName;
      // Leave focus alone when the user is typing into another field.
      if (tag !== "INPUT" && tag !== "TEXTAREA" && tag !== "SELECT") { input.focus(); }
    }
  }

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
