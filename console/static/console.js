// The console's only script (no inline script: the CSP allows only this file).
// - forms with data-confirm ask before they are sent (deletes, replays);
// - an element with data-autofocus takes the focus when the page opens.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener("DOMContentLoaded", () => {
  const target = document.querySelector("[data-autofocus]");
  if (target instanceof HTMLElement) target.focus();
});
