// Scan queue: the one behaviour of every scan screen's input (scan station, pack, receive,
// store, check out / check in).
//
// A keyboard-wedge scanner types a whole code and Enter in a few milliseconds, and the next
// code may follow before the server has answered the first. Clearing the input when an answer
// arrives ate the first characters of a code already being typed, so here the Enter handler
// takes the code and clears the field at once, in the same event: what is typed after it
// belongs to the next code, whenever the answers come. Codes are sent one at a time, in the
// order scanned (the server sees the same sequence the technician made), each with its own
// Idempotency-Key so that a resend after a lost connection is answered, not done twice.
// Each answer is shown against its code in a running list, newest first.
//
// A screen opts in with a form holding [data-scan-input] and [data-scan-queue] (the status
// line with the translated texts) and names its answer container in data-scan-target.
// Without JavaScript the form posts as an ordinary page.
(function () {
  "use strict";
  var MAX_ENTRIES = 200;
  var RETRY_MS = [500, 1000, 2000, 4000];

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return "scan-" + window.crypto.randomUUID(); }
    return "scan-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function snapshot(form, input, code) {
    // The form as it is at the moment of the scan (a chosen position, the check-in mode),
    // not as it will be when this code's turn comes.
    var values = {};
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") { values[name] = value; }
    });
    values[input.name] = code;
    return values;
  }

  function movedAway(xhr, url) {
    try {
      return new URL(xhr.responseURL, location.href).pathname !== new URL(url, location.href).pathname;
    } catch (e) { return false; }
  }

  function ScanQueue(form) {
    this.form = form;
    this.input = form.querySelector("[data-scan-input]");
    this.status = form.querySelector("[data-scan-queue]");
    this.url = form.getAttribute("action");
    this.waiting = [];
    this.busy = false;
    var target = document.querySelector(form.getAttribute("data-scan-target"));
    this.log = document.createElement("ol");
    this.log.className = "scan-log";
    this.log.setAttribute("data-scan-log", "");
    // An answer the server rendered into the page (a post without JavaScript) stays on top.
    var first = target.firstElementChild;
    target.appendChild(this.log);
    if (first && first !== this.log) {
      var li = document.createElement("li");
      li.className = "scan-entry";
      li.setAttribute("data-scan-state", "answered");
      while (target.firstChild !== this.log) { li.appendChild(target.firstChild); }
      this.log.appendChild(li);
    }
  }

  ScanQueue.prototype.msg = function (name) {
    return (this.status && this.status.getAttribute("data-msg-" + name)) || "";
  };

  ScanQueue.prototype.showCount = function () {
    if (!this.status) { return; }
    var n = this.waiting.length + (this.busy ? 1 : 0);
    this.status.setAttribute("data-pending", String(n));
    this.status.textContent = n ? this.msg("pending").replace("%(n)s", String(n)) : "";
  };

  ScanQueue.prototype.take = function (clicked) {
    var code = this.input.value.trim();
    var values = snapshot(this.form, this.input, code);
    this.input.value = "";
    this.input.focus();
    // A stray Enter on an empty field is nothing; a button pressed with it empty is sent, so
    // that the server says what is missing.
    if (!code && !clicked) { return; }
    var entry = document.createElement("li");
    entry.className = "scan-entry";
    entry.setAttribute("data-scan-state", "waiting");
    entry.setAttribute("data-scan-code", code);
    var label = document.createElement("span");
    label.className = "scan-code code";
    label.textContent = code;
    var answer = document.createElement("div");
    answer.className = "scan-answer";
    answer.textContent = this.msg("waiting");
    entry.appendChild(label);
    entry.appendChild(answer);
    this.log.insertBefore(entry, this.log.firstChild);
    this.trim();
    this.waiting.push({ entry: entry, answer: answer, values: values, key: newKey(), tries: 0 });
    this.form.dispatchEvent(new CustomEvent("scan:queued", { bubbles: true, detail: { code: code } }));
    this.pump();
  };

  ScanQueue.prototype.pump = function () {
    if (this.busy || !this.waiting.length) { this.showCount(); return; }
    this.busy = true;
    var job = this.waiting.shift();
    this.showCount();
    this.send(job);
  };

  ScanQueue.prototype.send = function (job) {
    var self = this;
    var xhr = null;
    job.entry.setAttribute("data-scan-state", "sending");
    function heard(ev) { xhr = ev.detail.xhr || null; }
    job.entry.addEventListener("htmx:afterRequest", heard);
    function finish(state) {
      job.entry.removeEventListener("htmx:afterRequest", heard);
      job.entry.setAttribute("data-scan-state", state);
      self.busy = false;
      self.pump();
    }
    function retry() {
      // No answer (connection lost, or the server asked to retry): the same request with the
      // same key, so a scan the server did record is answered from its record, not redone.
      job.entry.removeEventListener("htmx:afterRequest", heard);
      job.entry.setAttribute("data-scan-state", "retrying");
      job.answer.textContent = self.msg("retrying");
      var wait = RETRY_MS[Math.min(job.tries, RETRY_MS.length - 1)];
      job.tries += 1;
      window.setTimeout(function () { self.send(job); }, wait);
    }
    window.htmx.ajax("POST", this.url, {
      source: job.entry, target: job.answer, swap: "innerHTML",
      values: job.values, headers: { "Idempotency-Key": job.key }
    }).then(function () {
      var status = xhr ? xhr.status : 0;
      if (status >= 200 && status < 300 && movedAway(xhr, self.url)) {
        // Redirected elsewhere (the session ended: the sign-in page answered): not recorded.
        job.answer.textContent = self.msg("failed");
        finish("refused");
      } else if (status >= 200 && status < 300) {
        self.mark(job.entry);
        finish("answered");
      } else if (status === 0 || status === 503 || status === 429) {
        retry();
      } else {
        // A refusal that is not a scan answer (the session ended, the form was stale): the
        // server's own escaped error fragment, against the code it refused.
        job.answer.innerHTML = (xhr && xhr.responseText) || self.msg("failed");
        finish("refused");
      }
    }, retry);
  };

  ScanQueue.prototype.trim = function () {
    // The oldest answered entries go first; one still waiting or in flight stays.
    var entries = this.log.children;
    for (var i = entries.length - 1; i >= 0 && entries.length > MAX_ENTRIES; i--) {
      var state = entries[i].getAttribute("data-scan-state");
      if (state === "answered" || state === "refused") { this.log.removeChild(entries[i]); }
    }
  };

  ScanQueue.prototype.mark = function (latest) {
    // The newest answer is shown in full; earlier ones shrink to their headline.
    var entries = this.log.children;
    for (var i = 0; i < entries.length; i++) {
      var e = entries[i];
      if (e !== latest && e.getAttribute("data-scan-state") === "answered") {
        e.classList.add("older");
      }
    }
    latest.classList.remove("older");
  };

  function queueOf(form) {
    if (!form.scanQueue) { form.scanQueue = new ScanQueue(form); }
    return form.scanQueue;
  }

  // Enter in the scan input submits the form (the browser's implicit submission), and so
  // does a button on the form: both come here, synchronously with the key press.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches("form[data-scan-target]") || !window.htmx) { return; }
    ev.preventDefault();
    queueOf(form).take(!!(ev.submitter && ev.submitter.tagName === "BUTTON"));
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-scan-target]").forEach(queueOf);
  });
})();
