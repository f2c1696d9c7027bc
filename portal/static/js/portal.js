// Từng Nhà: the little the pages need beyond htmx. No inline scripts anywhere (CSP).
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-print]");
  if (target) {
    event.preventDefault();
    window.print();
  }
});
