/*
 * WIR-Portal: after django-otp-webauthn's own script (static/django_otp_webauthn/otp_webauthn_register.js) has
 * saved a new passkey, continue to the page named in data-mfa-passkey-done (it shows the backup codes after the
 * first factor). No dependencies, no inline code (CSP: script-src 'self').
 */
(function () {
  "use strict";
  document.addEventListener("otp_webauthn.register_complete", function () {
    var target = document.querySelector("[data-mfa-passkey-done]");
    if (target) {
      window.location.assign(target.getAttribute("data-mfa-passkey-done"));
    }
  });
})();
