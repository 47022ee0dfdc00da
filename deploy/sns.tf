# SNS mobile push through APNs (ocean-sns): the production platform application and,
# optionally, the sandbox one. Credentials come only from sensitive variables.

resource "aws_sns_platform_application" "apns" {
  name                = var.apns_application_name
  platform            = "APNS"
  platform_credential = var.apns_platform_credential
  platform_principal  = var.apns_platform_principal

  apple_platform_team_id   = local.apns_token_auth ? var.apns_team_id : null
  apple_platform_bundle_id = local.apns_token_auth ? var.apns_bundle_id : null
}

resource "aws_sns_platform_application" "apns_sandbox" {
  count               = var.apns_sandbox_application_name == "" ? 0 : 1
  name                = var.apns_sandbox_application_name
  platform            = "APNS_SANDBOX"
  platform_credential = var.apns_platform_credential
  platform_principal  = var.apns_platform_principal

  apple_platform_team_id   = local.apns_token_auth ? var.apns_team_id : null
  apple_platform_bundle_id = local.apns_token_auth ? var.apns_bundle_id : null
}
