//! The client address the rate limiter keys on. By default the TCP peer: `X-Forwarded-For` is
//! written by the client and believing it would let anyone pick a fresh address per request.
//! Behind proxies listed in `server.trusted_proxies`, the address is the nearest hop of
//! `X-Forwarded-For` that is not itself a trusted proxy.

use actix_web::HttpRequest;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The address to key per-client limits on.
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|addr| addr.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok());
    resolve(peer, forwarded, trusted)
}

/// Walks the hops right to left (each appended by the proxy that saw the previous one) while
/// they are trusted; an unreadable hop ends the walk at the last address known to be real.
fn resolve<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded.flat_map(|value| value.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

/// Parses `server.trusted_proxies` entries: networks (`10.0.0.0/8`) or single addresses.
pub fn parse_networks(entries: &[String]) -> Result<Vec<IpNet>, String> {
    entries
        .iter()
        .map(|entry| {
            let entry = entry.trim();
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!("server.trusted_proxies: {entry:?} is not an address or network")
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn nets(entries: &[&str]) -> Vec<IpNet> {
        parse_networks(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let got = resolve(ip("203.0.113.9"), ["198.51.100.1"].into_iter(), &[]);
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn an_untrusted_peer_cannot_forward() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = resolve(ip("203.0.113.9"), ["198.51.100.1"].into_iter(), &trusted);
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "192.0.2.7"]);
        // The client forged the first entry; the proxies appended the real ones.
        let header = ["1.1.1.1, 198.51.100.4", "192.0.2.7:443"];
        let got = resolve(ip("10.1.2.3"), header.into_iter(), &trusted);
        assert_eq!(got, ip("198.51.100.4"));
    }

    #[test]
    fn an_unreadable_hop_stops_at_the_last_real_address() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = resolve(ip("10.0.0.1"), ["garbage, 10.0.0.2"].into_iter(), &trusted);
        assert_eq!(got, ip("10.0.0.2"));
        let got = resolve(ip("10.0.0.1"), std::iter::empty(), &trusted);
        assert_eq!(got, ip("10.0.0.1"));
    }

    #[test]
    fn hops_may_carry_ports_and_brackets() {
        assert_eq!(parse_hop(" [2001:db8::1]:80 "), Some(ip("2001:db8::1")));
        assert_eq!(parse_hop("2001:db8::1"), Some(ip("2001:db8::1")));
        assert_eq!(parse_hop("192.0.2.1:8080"), Some(ip("192.0.2.1")));
        assert_eq!(parse_hop("unknown"), None);
    }

    #[test]
    fn bad_entries_are_configuration_errors() {
        assert!(parse_networks(&["10.0.0.0/33".into()]).is_err());
        assert_eq!(nets(&["::1"]).len(), 1);
    }
}
