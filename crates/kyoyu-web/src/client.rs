//! Who is on the other end: the client's address, read through the reverse proxies the
//! configuration trusts (`trusted_proxies`), and whether a request comes straight from this
//! machine. A forwarding header from anyone else is ignored, so a client cannot pick its own
//! address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::AppState;

/// The client's address as the login guard and the logs should see it.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr {
    pub ip: IpAddr,
    /// The TCP peer: this machine, and no proxy forwarded the request.
    pub local_direct: bool,
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Ok(resolve(&parts.headers, peer, &state.config.trusted_proxies))
    }
}

/// The client address: the peer, unless the peer is a trusted proxy; then the nearest address
/// in the forwarding chain (`Forwarded`, else `X-Forwarded-For`) that is not a trusted proxy.
pub fn resolve(headers: &HeaderMap, peer: IpAddr, trusted: &[IpNet]) -> ClientAddr {
    let forwarded = headers.contains_key("forwarded") || headers.contains_key("x-forwarded-for");
    let local_direct = peer.is_loopback() && !forwarded;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return ClientAddr {
            ip: peer,
            local_direct,
        };
    }
    let chain = forwarded_chain(headers);
    let ip = chain
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(chain.first())
        .copied()
        .unwrap_or(peer);
    ClientAddr { ip, local_direct }
}

/// The addresses of the forwarding headers, client first; unreadable entries end the chain
/// there (what lies before them cannot be trusted either).
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let standard: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let entries: Vec<Option<IpAddr>> = if !standard.is_empty() {
        standard
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_node(v))
            })
            .collect()
    } else {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(parse_node)
            .collect()
    };
    // Keep only the readable tail: an unreadable hop hides who sent what came before it.
    let mut tail = Vec::new();
    for entry in entries.into_iter().rev() {
        match entry {
            Some(ip) => tail.push(ip),
            None => break,
        }
    }
    tail.reverse();
    tail
}

/// `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let v = raw.trim().trim_matches('"');
    if let Ok(ip) = v.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    v.parse::<SocketAddr>().ok().map(|s| s.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let h = headers(&[("x-forwarded-for", "10.9.9.9")]);
        let peer: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(resolve(&h, peer, &nets(&["127.0.0.1/32"])).ip, peer);
    }

    #[test]
    fn a_trusted_proxy_gives_the_nearest_untrusted_hop() {
        let trusted = nets(&["127.0.0.1/32", "10.0.0.0/8"]);
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        // The client claims 1.1.1.1; the outer proxy 10.0.0.5 saw 198.51.100.4.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.4, 10.0.0.5")]);
        let c = resolve(&h, peer, &trusted);
        assert_eq!(c.ip, "198.51.100.4".parse::<IpAddr>().unwrap());
        assert!(!c.local_direct);
        let h = headers(&[(
            "forwarded",
            "for=198.51.100.4;proto=https, for=\"[2001:db8::1]:4711\"",
        )]);
        assert_eq!(
            resolve(&h, peer, &trusted).ip,
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        let h = headers(&[("x-forwarded-for", "198.51.100.4:5555")]);
        assert_eq!(
            resolve(&h, peer, &trusted).ip,
            "198.51.100.4".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn only_an_unforwarded_loopback_peer_is_local() {
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(resolve(&HeaderMap::new(), peer, &[]).local_direct);
        let h = headers(&[("x-forwarded-for", "127.0.0.1")]);
        assert!(!resolve(&h, peer, &[]).local_direct);
        let remote: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(!resolve(&HeaderMap::new(), remote, &[]).local_direct);
    }
}
