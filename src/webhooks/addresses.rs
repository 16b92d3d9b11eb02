//! Where a delivery may go. A webhook URL must be `https` and its host must resolve only to
//! public addresses: never loopback, private, link-local (the cloud metadata service at
//! 169.254.169.254), shared, multicast or otherwise special, in IPv4 or IPv6 (including
//! IPv4 addresses wrapped in IPv6). Checked when a webhook is created and again when each
//! delivery is sent, since DNS can change in between. `ENGAGIERT_WEBHOOK_ALLOW_PRIVATE=true`
//! lifts both rules, for development and tests.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Whether a delivery may connect to `address`.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(address: Ipv4Addr) -> bool {
    let [a, b, c, _] = address.octets();
    !(address.is_unspecified()
        || address.is_loopback()
        || address.is_private()
        || address.is_link_local()
        || address.is_multicast()
        || address.is_broadcast()
        || address.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24, and benchmarking, 198.18.0.0/15.
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(address: Ipv6Addr) -> bool {
    let first = address.segments()[0];
    !(address.is_unspecified()
        || address.is_loopback()
        || address.is_multicast()
        // Unique local, fc00::/7.
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (first & 0xffc0) == 0xfe80
        // Documentation, 2001:db8::/32.
        || (first == 0x2001 && address.segments()[1] == 0x0db8)
        // IPv4-compatible (deprecated) and NAT64 forms carry an IPv4 address: refuse them
        // rather than check the one inside.
        || address.to_ipv4().is_some_and(|v4| !is_public_v4(v4))
        || first == 0x0064)
}

/// Why a webhook URL is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    NotAUrl,
    NotHttps,
    /// Where private addresses are allowed, `http` is too, but no other scheme.
    NotHttp,
    /// The host is, or resolves to, an address no delivery may reach.
    NotPublic(String),
}

impl Refused {
    pub fn message(&self) -> String {
        match self {
            Refused::NotAUrl => "must be an absolute URL".into(),
            Refused::NotHttps => "must be an https URL".into(),
            Refused::NotHttp => "must be an http or https URL".into(),
            Refused::NotPublic(host) => format!(
                "must reach a public address; {host} is loopback, private, link-local or otherwise reserved"
            ),
        }
    }
}

/// Checks the form of a webhook URL and, when its host is an address, that address. A host
/// name is checked when it is resolved (`check_resolved`).
pub fn check_url(text: &str, allow_private: bool) -> Result<Url, Refused> {
    let url = Url::parse(text).map_err(|_| Refused::NotAUrl)?;
    let scheme_ok = url.scheme() == "https" || (allow_private && url.scheme() == "http");
    if !scheme_ok {
        return Err(if allow_private {
            Refused::NotHttp
        } else {
            Refused::NotHttps
        });
    }
    match url.host() {
        None => Err(Refused::NotAUrl),
        Some(_) if allow_private => Ok(url),
        Some(Host::Ipv4(v4)) if !is_public(IpAddr::V4(v4)) => {
            Err(Refused::NotPublic(v4.to_string()))
        }
        Some(Host::Ipv6(v6)) if !is_public(IpAddr::V6(v6)) => {
            Err(Refused::NotPublic(v6.to_string()))
        }
        Some(Host::Domain(name)) if is_localhost(name) => Err(Refused::NotPublic(name.to_owned())),
        Some(_) => Ok(url),
    }
}

/// `localhost` and its subdomains (RFC 6761), also written fully qualified (`localhost.`).
fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Checks the addresses a host name resolved to: every one must be public, or a later
/// connection could pick the one that is not.
pub fn check_resolved(
    host: &str,
    addresses: &[IpAddr],
    allow_private: bool,
) -> Result<(), Refused> {
    if allow_private {
        return Ok(());
    }
    match addresses.iter().find(|address| !is_public(**address)) {
        Some(address) => Err(Refused::NotPublic(format!("{host} ({address})"))),
        None if addresses.is_empty() => Err(Refused::NotPublic(host.to_owned())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ssrf_table() {
        let refused = [
            "http://example.org/hook",
            "https://127.0.0.1/hook",
            "https://127.1.2.3/hook",
            "https://10.0.0.1/hook",
            "https://172.16.5.4/hook",
            "https://192.168.1.1/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/hook",
            "https://0.0.0.0/hook",
            "https://224.0.0.1/hook",
            "https://[::1]/hook",
            "https://[::]/hook",
            "https://[fe80::1]/hook",
            "https://[fd00::1]/hook",
            "https://[::ffff:127.0.0.1]/hook",
            "https://[::ffff:10.0.0.1]/hook",
            "https://localhost/hook",
            "https://api.localhost/hook",
            "https://localhost./hook",
            "https://LOCALHOST/hook",
            "ftp://example.org/hook",
            "not a url",
        ];
        for url in refused {
            assert!(check_url(url, false).is_err(), "{url} should be refused");
        }
        for url in [
            "https://example.org/hook",
            "https://93.184.216.34/hook",
            "https://[2606:4700::1111]/hook",
        ] {
            assert!(check_url(url, false).is_ok(), "{url} should be allowed");
        }
        // Development and tests may deliver to themselves.
        assert!(check_url("http://127.0.0.1:8080/hook", true).is_ok());
    }

    #[test]
    fn a_name_resolving_to_loopback_is_refused() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        assert!(check_resolved("evil.example", &[loopback], false).is_err());
        assert!(check_resolved("evil.example", &[public, loopback], false).is_err());
        assert!(check_resolved("evil.example", &[], false).is_err());
        assert!(check_resolved("good.example", &[public], false).is_ok());
        assert!(check_resolved("dev.example", &[loopback], true).is_ok());
    }
}
