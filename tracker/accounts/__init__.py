"""User accounts: the clinic admins' account pages, two-factor sign-in, the account audit log,
the login and password-reset views, and the restricted Django admin site."""
