"""Second factor for sign-in (issue 16): passkeys (WebAuthn) preferred, TOTP as fallback, single-use backup codes.

Built on django-otp (TOTPDevice, StaticDevice) and django-otp-webauthn (WebAuthnCredential, py_webauthn underneath):
no cryptography of our own. Staff (is_staff/superuser or a ministry group) must enrol and verify a factor before any
other page answers (middleware.SecondFactorMiddleware); applicants may enrol one and are then asked for it.
"""
