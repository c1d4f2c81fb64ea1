/* Polls a PDF report job's status and updates the progress bar; shows the download link when done.
   A static file (CSP forbids inline scripts). Without JavaScript the page refreshes itself (<noscript> meta). */
(function () {
  "use strict";
  var box = document.querySelector("[data-report-job]");
  if (!box) { return; }
  var url = box.getAttribute("data-report-job");
  var bar = box.querySelector("[data-job-progress]");
  var percent = box.querySelector("[data-job-percent]");
  var status = box.querySelector("[data-job-status]");
  var message = box.querySelector("[data-job-message]");
  var download = box.querySelector("[data-job-download]");

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        bar.value = data.progress;
        bar.textContent = data.progress + " %";
        percent.textContent = data.progress + " %";
        status.textContent = data.status_label;
        if (data.message !== message.textContent) { message.textContent = data.message; }
        if (data.finished) {
          if (data.download) {
            download.hidden = false;
            message.textContent = "Der Bericht ist fertig und kann heruntergeladen werden.";
          } else {
            window.location.reload();
          }
          return;
        }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
