// A letter's QR code carries the voting code in the URL fragment (never sent to the
// server); with JavaScript on, fill it in. Without JavaScript the voter types it.
(function () {
  var code = decodeURIComponent(window.location.hash.slice(1));
  var field = document.getElementById("code");
  if (code && field && !field.value) {
    field.value = code;
    history.replaceState(null, "", window.location.pathname);
  }
})();
