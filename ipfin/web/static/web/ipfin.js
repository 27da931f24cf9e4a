/* Behaviour the templates ask for with data attributes. The Content-Security-Policy admits
   scripts from this origin only (script-src 'self'), so no template carries an inline handler. */
"use strict";

// <form data-confirm="…">: the browser's confirmation before an irreversible request.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }
  },
  true,
);

// <select data-autosubmit>: choosing an option submits its form (the language switch).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});

// Script is on: the narrow-width navigation folds behind its menu button (CSS keys on .js).
document.documentElement.classList.add("js");

// <button data-nav-toggle aria-controls="…">: opens and closes the navigation at narrow widths.
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const toggle = target ? target.closest("[data-nav-toggle]") : null;
  if (toggle) {
    const nav = document.getElementById(toggle.getAttribute("aria-controls") || "");
    if (nav) {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    return;
  }
  // One menu open at a time: a click elsewhere closes the open ones.
  document.querySelectorAll("details.nav-group[open]").forEach((menu) => {
    if (!target || !menu.contains(target)) {
      menu.removeAttribute("open");
    }
  });
});
