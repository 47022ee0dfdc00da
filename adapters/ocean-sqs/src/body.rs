//! Message bodies: ocean's are bytes, SQS's are strings of XML characters. A body that is
//! such a string already is sent as it is (readable in the console, and what other
//! producers such as S3 event notifications send); any other body is sent as base64 with a
//! message attribute saying so, which a receive reverses.

use aws_sdk_sqs::types::{Message, MessageAttributeValue};
use ocean::Result;

use crate::error::malformed;

/// The message attribute marking a base64 body.
pub(crate) const ENCODING_ATTRIBUTE: &str = "ocean.body-encoding";
/// Its value for base64.
const BASE64: &str = "base64";

/// A body ready for `SendMessage`: the string, and the encoding attribute when it is base64.
#[derive(Debug)]
pub(crate) struct EncodedBody {
    /// The `MessageBody`.
    pub(crate) text: String,
    /// The encoding attribute's value, `None` for a body sent as it is.
    pub(crate) encoding: Option<MessageAttributeValue>,
}

/// Encodes `body` for SQS: as it is when it is UTF-8 made only of characters SQS keeps
/// exactly (tab, line feed, and `U+0020` up, without carriage return, which XML parsers may
/// rewrite), else base64 (4/3 the size: a body of ocean's 256 KiB limit is 342 KiB, within
/// SQS's 1 MiB).
pub(crate) fn encode(body: Vec<u8>) -> EncodedBody {
    match String::from_utf8(body) {
        Ok(text) if text.chars().all(keeps_exactly) => EncodedBody {
            text,
            encoding: None,
        },
        Ok(text) => base64_body(text.as_bytes()),
        Err(error) => base64_body(error.as_bytes()),
    }
}

/// The base64 form of `bytes` with its attribute.
fn base64_body(bytes: &[u8]) -> EncodedBody {
    let encoding = MessageAttributeValue::builder()
        .data_type("String")
        .string_value(BASE64)
        .build()
        .ok();
    EncodedBody {
        text: aws_smithy_types::base64::encode(bytes),
        encoding,
    }
}

/// Whether SQS stores and returns `c` unchanged.
fn keeps_exactly(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The bytes of a received `message`: its body decoded when the encoding attribute says
/// base64, else the body's UTF-8 bytes (messages from other producers).
pub(crate) fn decode(message: &Message) -> Result<Vec<u8>> {
    let text = message.body().unwrap_or_default();
    let encoding = message
        .message_attributes()
        .and_then(|attributes| attributes.get(ENCODING_ATTRIBUTE))
        .and_then(MessageAttributeValue::string_value);
    match encoding {
        None => Ok(text.as_bytes().to_vec()),
        Some(BASE64) => aws_smithy_types::base64::decode(text).map_err(|error| {
            malformed(format!(
                "message {:?} says base64 but is not: {error}",
                message.message_id()
            ))
        }),
        Some(other) => Err(malformed(format!(
            "message {:?} has the unknown body encoding {other:?}",
            message.message_id()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A received message with `encoded`'s body and attribute.
    fn received(encoded: EncodedBody) -> Message {
        let mut message = Message::builder().message_id("m").body(encoded.text);
        if let Some(encoding) = encoded.encoding {
            message = message.message_attributes(ENCODING_ATTRIBUTE, encoding);
        }
        message.build()
    }

    #[test]
    fn text_goes_as_it_is_and_binary_as_base64() {
        let text = encode(b"{\"photo\":\"ab\"}\tok\n".to_vec());
        assert!(text.encoding.is_none());
        assert_eq!(text.text, "{\"photo\":\"ab\"}\tok\n");

        for binary in [
            vec![0, 1, 255],
            b"carriage\r".to_vec(),
            vec![0xEF, 0xBF, 0xBE],
        ] {
            let encoded = encode(binary.clone());
            assert!(encoded.encoding.is_some(), "{binary:?} needs base64");
            assert_eq!(decode(&received(encoded)).unwrap(), binary);
        }
    }

    #[test]
    fn every_body_round_trips() {
        let bodies = [
            (0..=255u8).collect::<Vec<u8>>(),
            "caf\u{e9} \u{1F600}".as_bytes().to_vec(),
            vec![9; 1000],
        ];
        for body in bodies {
            assert_eq!(decode(&received(encode(body.clone()))).unwrap(), body);
        }
    }

    #[test]
    fn a_bad_encoding_is_a_backend_error() {
        let message = received(EncodedBody {
            text: "not base64!".to_owned(),
            encoding: base64_body(b"x").encoding,
        });
        let error = decode(&message).unwrap_err();
        assert_eq!(error.kind(), ocean::ErrorKind::Backend);
    }
}
