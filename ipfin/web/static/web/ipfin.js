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

// Every POST form, when first sent, gets a random key in the field "_once", kept while the page
// is: a second click, or the form sent again from the browser's history, carries the same key,
// and the server acts on it once (ipfin.accounts.idempotency). A page loaded afresh makes a new key.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") {
      return;
    }
    if (form.querySelector('input[name="_once"]') === null) {
      const bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      const field = document.createElement("input");
      field.type = "hidden";
      field.name = "_once";
      field.value = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      form.append(field);
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

// Data tables on phones: every cell carries its column's heading (data-label), so that the style
// sheet can show each row as a card at narrow widths. Run on load and on every htmx swap.
function labelTableCells(root) {
  root.querySelectorAll("table.data").forEach((table) => {
    const headings = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent.trim());
    if (!headings.length || table.hasAttribute("data-keep-table")) {
      return;
    }
    table.classList.add("stackable");
    table.querySelectorAll("tbody tr").forEach((row) => {
      let column = 0;
      Array.from(row.children).forEach((cell) => {
        if (!cell.hasAttribute("data-label") && headings[column]) {
          cell.setAttribute("data-label", headings[column]);
        }
        column += Number(cell.getAttribute("colspan") || 1);
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", () => labelTableCells(document));
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.target instanceof Element) {
    labelTableCells(event.target.closest("table") ? event.target.closest("table").parentElement : event.target);
  }
});

// A field marked invalid by the server (aria-invalid, its message named in aria-describedby)
// drops the mark and hides its message as soon as the user changes it: the error sits next to
// the field while it is wrong, and goes when it is corrected (the server checks again on submit).
document.addEventListener("input", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLElement) || field.getAttribute("aria-invalid") !== "true") {
    return;
  }
  field.removeAttribute("aria-invalid");
  (field.getAttribute("aria-describedby") || "").split(/\s+/).forEach((id) => {
    const message = id ? document.getElementById(id) : null;
    if (message && /error/.test(id)) {
      message.hidden = true;
    }
  });
});
