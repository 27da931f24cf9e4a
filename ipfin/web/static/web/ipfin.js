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
