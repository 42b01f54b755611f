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
    // The input is never cleared here: an answer may arrive while the next code is being
    // typed (scanqueue.js clears it when a code is taken, on Enter).
    keepFocus();
  }

  // A form marked data-upload-progress (the VCF upload, up to several GB) is sent by XHR so
  // that the browser shows how much has gone; over the limit it is refused before sending.
  // The server answers an XHR with HX-Redirect (success) or an error fragment, shown in place
  // with the form's input kept. Without JavaScript the form posts as usual.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute || !form.hasAttribute("data-upload-progress") || !window.FormData) { return; }
    var status = form.querySelector("[data-upload-status]");
    var bar = form.querySelector("progress[data-upload-bar]");
    var button = form.querySelector("button[type=submit]");
    var max = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    var total = 0;
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      for (var i = 0; i < input.files.length; i++) { total += input.files[i].size; }
    });
    ev.preventDefault();
    if (max && total > max) {
      status.textContent = form.getAttribute("data-msg-too-large");
      status.setAttribute("data-outcome", "too_large");
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { return; }
      bar.max = e.total;
      bar.value = e.loaded;
      status.textContent = Math.floor(100 * e.loaded / e.total) + "%";
    });
    xhr.addEventListener("load", function () {
      var target = xhr.getResponseHeader("HX-Redirect");
      if (xhr.status < 400) { window.location.assign(target || xhr.responseURL); return; }
      status.innerHTML = xhr.responseText;  // the server's own escaped error fragment
      status.setAttribute("data-outcome", "refused");
      button.disabled = false;
    });
    xhr.addEventListener("error", function () {
      status.textContent = form.getAttribute("data-msg-failed");
      status.setAttribute("data-outcome", "failed");
      button.disabled = false;
    });
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    status.removeAttribute("data-outcome");
    status.textContent = "0%";
    xhr.send(new FormData(form));
  });

  // The specimen correction form: the value's input follows the field selected (a date-time
  // picker, a number with its unit, the allowed values, text), taken from the form's
  // <template>s. Without this script the form's own button asks the server for that input.
  function correctionForm() {
    var field = document.querySelector("[data-correct-field]");
    var slot = document.querySelector("[data-correct-value]");
    if (!field || !slot) { return; }
    var choose = document.querySelector("[data-correct-choose]");
    if (choose) { choose.hidden = true; }
    field.addEventListener("change", function () {
      var template = null;
      document.querySelectorAll("template[data-correct-for]").forEach(function (t) {
        if (t.getAttribute("data-correct-for") === field.value) { template = t; }
      });
      if (!template) { return; }
      while (slot.firstChild) { slot.removeChild(slot.firstChild); }
      slot.appendChild(template.content.cloneNode(true));
    });
  }

  document.addEventListener("htmx:afterSwap", function (ev) { afterResult(ev.detail.target); });
  document.addEventListener("DOMContentLoaded", function () {
    correctionForm();
    var input = document.querySelector("[data-scan-input]");
    if (input) {
      input.focus();
      if (document.querySelector("[data-sound]")) { afterResult(document); }
      setInterval(keepFocus, 1500);
    }
  });
})();
