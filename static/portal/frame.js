// Destructive one-click actions ask first: a form (or its submit button) with
// data-confirm submits only when the user confirms. The server does not depend
// on it; larger actions (drain, delete, remove a host) have a confirmation page.
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
