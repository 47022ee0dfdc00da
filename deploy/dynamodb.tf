# The records table (ocean-dynamodb: pk/sk plus four GSIs gsi0..gsi3 on gNp/gNs, every
# attribute a string, projection ALL) and the stream checkpoint table (ocean-kinesis: pk).

resource "aws_dynamodb_table" "records" {
  name                        = var.records_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.dynamodb_deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  dynamic "attribute" {
    for_each = flatten([for n in range(4) : ["g${n}p", "g${n}s"]])
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "global_secondary_index" {
    for_each = range(4)
    content {
      name            = "gsi${global_secondary_index.value}"
      hash_key        = "g${global_secondary_index.value}p"
      range_key       = "g${global_secondary_index.value}s"
      projection_type = "ALL"
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.main.arn
  }
}

resource "aws_dynamodb_table" "checkpoints" {
  name                        = var.checkpoint_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  deletion_protection_enabled = var.dynamodb_deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.main.arn
  }
}
