//! Where the URLs handed to clients point: the S3 endpoint, path-style (`{endpoint}/{bucket}
//! /{key}`), split into what a URL starts with and what SigV4 signs (the host and the path).

use ocean::{Error, Result};

/// An S3 endpoint as URLs and signatures need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// `scheme://authority` plus any path prefix, without a trailing `/`.
    pub(crate) base: String,
    /// The `host` header clients send: the authority, without a default port.
    pub(crate) host: String,
    /// The endpoint's path prefix (`""` or `/prefix`), part of every signed path.
    pub(crate) path_prefix: String,
}

impl Endpoint {
    /// `url` (`http://127.0.0.1:9000`, `https://s3.eu-west-1.amazonaws.com`, ...), or AWS's
    /// regional endpoint for `region` when there is none.
    pub(crate) fn parse(url: Option<&str>, region: &str) -> Result<Self> {
        let default_url = format!("https://s3.{region}.amazonaws.com");
        let url = url.unwrap_or(&default_url);
        let bad = |why: &str| Error::invalid("endpoint_url", format!("{url:?}: {why}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("must start with http:// or https://"))?;
        let default_port = match scheme {
            "http" => ":80",
            "https" => ":443",
            _ => return Err(bad("must start with http:// or https://")),
        };
        if rest.contains(['?', '#']) {
            return Err(bad("must not have a query or fragment"));
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.is_empty() || authority.contains('@') {
            return Err(bad("must name a host (and no user)"));
        }
        let host = authority.strip_suffix(default_port).unwrap_or(authority);
        let path = path.trim_end_matches('/');
        let path_prefix = if path.is_empty() {
            String::new()
        } else {
            format!("/{path}")
        };
        Ok(Self {
            base: format!("{scheme}://{authority}{path_prefix}"),
            host: host.to_owned(),
            path_prefix,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Endpoint;

    #[test]
    fn local_endpoint_keeps_its_port() {
        let endpoint = Endpoint::parse(Some("http://127.0.0.1:9000/"), "us-east-1").expect("ok");
        assert_eq!(endpoint.base, "http://127.0.0.1:9000");
        assert_eq!(endpoint.host, "127.0.0.1:9000");
        assert_eq!(endpoint.path_prefix, "");
    }

    #[test]
    fn default_ports_are_not_signed_and_prefixes_are() {
        let endpoint =
            Endpoint::parse(Some("https://storage.example:443/s3/"), "us-east-1").expect("ok");
        assert_eq!(endpoint.base, "https://storage.example:443/s3");
        assert_eq!(endpoint.host, "storage.example");
        assert_eq!(endpoint.path_prefix, "/s3");
    }

    #[test]
    fn no_endpoint_is_the_regional_aws_one() {
        let endpoint = Endpoint::parse(None, "eu-west-1").expect("ok");
        assert_eq!(endpoint.base, "https://s3.eu-west-1.amazonaws.com");
        assert_eq!(endpoint.host, "s3.eu-west-1.amazonaws.com");
    }

    #[test]
    fn other_schemes_are_refused() {
        assert!(Endpoint::parse(Some("ftp://x"), "us-east-1").is_err());
        assert!(Endpoint::parse(Some("127.0.0.1:9000"), "us-east-1").is_err());
    }
}
