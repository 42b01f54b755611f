// Box map: clicking (or tapping) a free cell chooses it for the next scanned tube.
(function () {
  "use strict";
  function input() { return document.querySelector("[data-scan-input]"); }
  function choose(name) {
    var hidden = document.getElementById("chosen-position");
    var note = document.getElementById("chosen-note");
    if (!hidden) { return; }
    hidden.value = name;
    document.querySelectorAll(".box-map td.chosen").forEach(function (td) { td.classList.remove("chosen"); });
    var cell = document.querySelector('.box-map td[data-position="' + name + '"]');
    if (cell) { cell.classList.add("chosen"); }
    if (note) { note.textContent = (note.getAttribute("data-chosen-text") || "Position:") + " " + name; }
    var i = input(); if (i) { i.focus(); }
  }
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest ? ev.target.closest("[data-pick]") : null;
    if (btn) { ev.preventDefault(); choose(btn.getAttribute("data-pick")); }
  });
  // A chosen cell is for the next tube scanned (scanqueue.js took it with that code), not
  // for the ones after it.
  document.addEventListener("scan:queued", function (ev) {
    if (ev.target && ev.target.classList && ev.target.classList.contains("store-form")) {
      var hidden = document.getElementById("chosen-position");
      var note = document.getElementById("chosen-note");
      if (hidden) { hidden.value = ""; }
      if (note && note.getAttribute("data-default-text")) { note.textContent = note.getAttribute("data-default-text"); }
    }
  });
})();
