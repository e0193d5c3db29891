// credgov console: the few behaviours htmx does not give. No inline script anywhere
// (the CSP forbids it); each behaviour hangs on a data- attribute.
(function () {
  "use strict";

  // Idle countdown: the session ends after data-idle-seconds without a request. A
  // warning shows two minutes before; "stay" pings the server, which restarts its clock.
  function sessionTimer() {
    var body = document.body;
    var idle = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
    var timer = document.getElementById("session-timer");
    var warning = document.getElementById("session-warning");
    if (!idle || !timer) return;
    var deadline = Date.now() + idle * 1000;
    var template = timer.getAttribute("data-template") || "{time}";
    function restart() { deadline = Date.now() + idle * 1000; if (warning) warning.hidden = true; }
    function tick() {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      timer.textContent = template.replace("{time}", (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s);
      if (warning) warning.hidden = left > 120;
      if (left === 0) { window.location.href = "/login?expired=1&next=" + encodeURIComponent(location.pathname); return; }
      window.setTimeout(tick, 1000);
    }
    var stay = document.getElementById("session-stay");
    if (stay) stay.addEventListener("click", function () {
      fetch("/session/ping", { credentials: "same-origin" }).then(function (r) {
        if (r.ok) restart(); else window.location.href = "/login?expired=1";
      });
    });
    document.body.addEventListener("htmx:afterRequest", restart);
    tick();
  }

  // Copy: a button with data-copy="ID" copies that element's value or text.
  function copyButtons(root) {
    root.querySelectorAll("[data-copy]").forEach(function (b) {
      if (b.dataset.bound) return; b.dataset.bound = "1";
      b.addEventListener("click", function () {
        var el = document.getElementById(b.getAttribute("data-copy"));
        if (!el) return;
        var text = el.value !== undefined && el.tagName === "INPUT" ? el.value : el.textContent;
        var done = function () { b.classList.add("copied"); window.setTimeout(function () { b.classList.remove("copied"); }, 1500); };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done);
        } else if (el.tagName === "INPUT") {
          var type = el.type; el.type = "text"; el.select(); document.execCommand("copy"); el.type = type; done();
        }
      });
    });
  }

  // Show / hide: a button with data-toggle="ID" switches a password input to text.
  function toggles(root) {
    root.querySelectorAll("[data-toggle]").forEach(function (b) {
      if (b.dataset.bound) return; b.dataset.bound = "1";
      b.addEventListener("click", function () {
        var el = document.getElementById(b.getAttribute("data-toggle"));
        if (!el) return;
        el.type = el.type === "password" ? "text" : "password";
        b.setAttribute("aria-pressed", el.type === "text" ? "true" : "false");
      });
    });
  }

  // A revealed secret disappears after data-hide-after seconds: its inputs are emptied
  // and the block replaced by its data-hidden-text.
  function hideAfter(root) {
    root.querySelectorAll("[data-hide-after]").forEach(function (el) {
      if (el.dataset.bound) return; el.dataset.bound = "1";
      var left = parseInt(el.getAttribute("data-hide-after"), 10);
      var counter = el.querySelector("[data-countdown]");
      function tick() {
        if (counter) counter.textContent = String(left);
        if (left <= 0) {
          el.querySelectorAll("input").forEach(function (i) { i.value = ""; });
          var p = document.createElement("p");
          p.className = "muted"; p.id = el.id ? el.id + "-gone" : "";
          p.textContent = el.getAttribute("data-hidden-text") || "";
          el.replaceWith(p);
          return;
        }
        left -= 1; window.setTimeout(tick, 1000);
      }
      tick();
    });
  }

  // A TOTP code's countdown to the next period: data-totp-remaining seconds.
  function totpCountdowns(root) {
    root.querySelectorAll("[data-totp-remaining]").forEach(function (el) {
      if (el.dataset.bound) return; el.dataset.bound = "1";
      var left = parseInt(el.getAttribute("data-totp-remaining"), 10);
      function tick() { el.textContent = String(Math.max(0, left)); if (left-- > 0) window.setTimeout(tick, 1000); }
      tick();
    });
  }

  // A form with data-confirm asks first.
  function confirms(root) {
    root.querySelectorAll("form[data-confirm]").forEach(function (f) {
      if (f.dataset.bound) return; f.dataset.bound = "1";
      f.addEventListener("submit", function (e) { if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault(); });
    });
  }

  // A <select data-autosubmit> submits its form when changed (filters).
  function autosubmit(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (s) {
      if (s.dataset.bound) return; s.dataset.bound = "1";
      s.addEventListener("change", function () { if (s.form) s.form.requestSubmit(); });
    });
  }

  // A button with data-print prints the page.
  function printButtons(root) {
    root.querySelectorAll("[data-print]").forEach(function (b) {
      if (b.dataset.bound) return; b.dataset.bound = "1";
      b.addEventListener("click", function () { window.print(); });
    });
  }

  function bind(root) { copyButtons(root); toggles(root); hideAfter(root); totpCountdowns(root); confirms(root); autosubmit(root); printButtons(root); }

  document.addEventListener("DOMContentLoaded", function () { sessionTimer(); bind(document); });
  document.addEventListener("htmx:load", function (e) { bind(e.target); });
})();
