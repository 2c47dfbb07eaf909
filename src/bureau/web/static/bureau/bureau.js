// Keyboard: "/" focuses the page's search, "p" opens the practice switcher, Escape closes it.
// Filters marked data-autosubmit apply as soon as one is changed (the CSP allows no inline
// handlers: behaviour lives here, never in an on...= attribute).
// Idle: after the configured minutes without activity the page reloads, and the server signs
// the session out (the server decides; this only makes the screen stop showing PHI).
(function () {
  "use strict";
  function typing(e) {
    const t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  document.addEventListener("keydown", function (e) {
    const switcher = document.getElementById("practice-switcher");
    if (e.key === "Escape" && switcher) { switcher.open = false; return; }
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "/") {
      const search = document.querySelector("[data-search]");
      if (search) {
        e.preventDefault();
        search.focus();
        if (typeof search.select === "function") search.select(); // a <select> has no text to select
      }
    } else if (e.key === "p" && switcher && !document.querySelector("[data-keys=queue]")) {
      e.preventDefault();
      switcher.open = true;
      const current = switcher.querySelector("button.current") || switcher.querySelector("button");
      if (current) current.focus();
    }
  });
  document.addEventListener("keydown", function (e) {
    const menu = e.target.closest && e.target.closest(".switch-menu");
    if (!menu || (e.key !== "ArrowDown" && e.key !== "ArrowUp")) return;
    const buttons = Array.from(menu.querySelectorAll("button"));
    const i = buttons.indexOf(e.target);
    const next = buttons[(i + (e.key === "ArrowDown" ? 1 : buttons.length - 1)) % buttons.length];
    e.preventDefault();
    next.focus();
  });
  document.addEventListener("change", function (e) {
    const field = e.target;
    if (!field || !field.matches || !field.matches("[data-autosubmit]") || !field.form) return;
    if (field.form.requestSubmit) field.form.requestSubmit(); else field.form.submit();
  });
  const minutes = parseInt(document.body.dataset.idleMinutes || "0", 10);
  if (minutes > 0 && document.getElementById("topbar")) {
    let timer;
    const arm = function () {
      clearTimeout(timer);
      timer = setTimeout(function () { window.location.reload(); }, (minutes * 60 + 5) * 1000);
    };
    ["keydown", "mousedown", "htmx:afterRequest"].forEach(function (name) {
      document.addEventListener(name, arm, { passive: true });
    });
    arm();
  }
})();
// The work queue, by keyboard: j/k move the cursor row, Enter opens it, n takes the next item,
// a assigns the cursor row (or the open item) to me, p pends (focuses the pend form), / goes to
// the filters. Rows carry data-href (open) and data-claim (assign to me).
(function () {
  "use strict";
  const table = document.getElementById("queue-table");
  const itemPage = document.getElementById("item-facts");
  if (!table && !itemPage) return;
  const rows = table ? Array.from(table.querySelectorAll("tbody tr[data-href]")) : [];
  let cursor = rows.length ? 0 : -1;
  function mark() {
    rows.forEach(function (r, i) { r.classList.toggle("cursor", i === cursor); });
    if (cursor >= 0) rows[cursor].scrollIntoView({ block: "nearest" });
  }
  mark();
  function post(action) {
    const form = document.createElement("form");
    form.method = "post";
    form.action = action;
    // The CSRF token, and the practice the page was opened under (a write is checked against it).
    ["csrfmiddlewaretoken", "opened_under"].forEach(function (name) {
      const field = document.querySelector("input[name=" + name + "]");
      if (field) form.appendChild(field.cloneNode());
    });
    document.body.appendChild(form);
    form.submit();
  }
  function submit(id) {
    const form = document.getElementById(id);
    if (!form) return false;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
    return true;
  }
  document.addEventListener("keydown", function (e) {
    const t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "j" && rows.length) { cursor = Math.min(cursor + 1, rows.length - 1); mark(); }
    else if (e.key === "k" && rows.length) { cursor = Math.max(cursor - 1, 0); mark(); }
    else if (e.key === "Enter" && cursor >= 0 && table) { window.location.assign(rows[cursor].dataset.href); }
    else if (e.key === "n") { if (!submit("take-next")) return; }
    else if (e.key === "a") {
      if (itemPage) { if (!submit("claim-form")) return; }
      else if (cursor >= 0) post(rows[cursor].dataset.claim);
    } else if (e.key === "p") {
      const until = document.getElementById("pend-until") || document.querySelector("#bulk-actions input[name=until]");
      if (!until) return;
      if (table && cursor >= 0) {
        const box = rows[cursor].querySelector("input[type=checkbox]");
        if (box) box.checked = true;
      }
      until.focus();
    } else if (e.key === "/") {
      const first = document.querySelector("#queue-filters select, #queue-filters input");
      if (!first) return;
      first.focus();
    } else return;
    e.preventDefault();
  });
})();
