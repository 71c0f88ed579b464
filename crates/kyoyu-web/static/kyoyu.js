// kyoyu's only script, served from this server (no CDN): progressive help for forms that
// work without it. A form is sent once — a second click while the first is on its way does
// nothing — and a button or form with data-confirm asks first (its text comes from the page).
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.dataset.confirm) || form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  if (form.dataset.sent === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "yes";
  form.setAttribute("aria-busy", "true");
});
// A page shown again from the browser's history may be sent again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-sent]").forEach(function (form) {
    delete form.dataset.sent;
    form.removeAttribute("aria-busy");
  });
});
