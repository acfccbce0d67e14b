// Mendian console: the one enhancement. Forms marked data-confirm ask first;
// everything works without it.
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) e.preventDefault();
});
