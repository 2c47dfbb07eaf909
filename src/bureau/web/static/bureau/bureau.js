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
      if (search) { e.preventDefault(); search.focus(); search.select(); }
    } else if (e.key === "p" && switcher) {
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
