// radbill console: the little script the pages need, served from /assets
// so that the Content-Security-Policy allows no inline script at all.
document.addEventListener("DOMContentLoaded", function () {
  // The language menu switches as soon as a language is picked.
  var language = document.getElementById("language");
  if (language) {
    language.addEventListener("change", function () { language.form.submit(); });
  }
  // Deleting, blocking and revoking ask first.
  document.querySelectorAll("button.danger").forEach(function (button) {
    button.form.addEventListener("submit", function (event) {
      if (!window.confirm(document.documentElement.lang === "bg" ? "Сигурни ли сте?" : "Are you sure?")) {
        event.preventDefault();
      }
    });
  });
});
