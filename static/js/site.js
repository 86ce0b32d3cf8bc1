/* Site-wide behaviour, loaded by base.html (deferred; no inline script: strict CSP).
 *
 * The navigation: on a narrow screen the menu folds behind a "Menu" button. Without
 * JavaScript the button stays hidden and the menu is simply shown (the CSS folds it only
 * when this script has marked the nav with .nav-js). */
(function () {
  "use strict";

  function setUpNav(nav) {
    var toggle = nav.querySelector("[data-nav-toggle]");
    var menu = document.getElementById(toggle ? toggle.getAttribute("aria-controls") : "");
    if (!toggle || !menu) { return; }
    nav.classList.add("nav-js");
    toggle.hidden = false;

    function setOpen(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("nav-open", open);
    }

    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    // Escape closes the open menu and gives focus back to its button.
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("nav-open")) {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  /* A confirm step for buttons that spend something (a pool claim uses a quota):
   * <form data-confirm="question"> opens the <dialog> whose id is in data-confirm-dialog,
   * and submits only on its "confirm" button. Without JavaScript the form posts to a
   * confirmation page instead (the server asks before it spends). */
  function setUpConfirm(form) {
    var dialog = document.getElementById(form.getAttribute("data-confirm-dialog"));
    if (!dialog || typeof dialog.showModal !== "function") { return; }
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-confirmed") === "1") { return; }
      event.preventDefault();
      var text = dialog.querySelector("[data-confirm-text]");
      if (text) { text.textContent = form.getAttribute("data-confirm"); }
      dialog.returnValue = "";
      dialog.showModal();
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        if (dialog.returnValue === "confirm") {
          form.setAttribute("data-confirmed", "1");
          var field = form.querySelector("input[name=confirmed]");
          if (field) { field.value = "1"; }
          form.requestSubmit ? form.requestSubmit() : form.submit();
        }
      });
    });
  }

  function start() {
    document.querySelectorAll("[data-nav]").forEach(setUpNav);
    document.querySelectorAll("form[data-confirm-dialog]").forEach(setUpConfirm);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
