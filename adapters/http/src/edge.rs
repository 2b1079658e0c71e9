//! What the API asks of a request before its handler: who the client is (its address, taken
//! from `Forwarded` / `X-Forwarded-For` only when the connecting peer is a trusted proxy), and
//! whether that address has sent too many unauthenticated writes (per-address rate limits on
//! login, two-factor answers and forgot-password).
//!
//! Behind proxies, the client is the right-most address of the forwarding chain that is not a
//! trusted proxy: everything to its left was written by the client and may be forged. Only the
//! one header the proxies write is read (`X-Forwarded-For` by default, or `Forwarded`): most
//! proxies append to one and pass the other through as the client sent it. IPv6 clients are
//! limited per /64, the block one subscriber holds.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use super::problem::{HttpCode, Problem};
use super::HttpState;

/// Requests per minute per client address, for each limited group of routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `POST /v1/login`.
    pub login_per_minute: u32,
    /// `POST /v1/login/challenges/{id}`.
    pub challenge_per_minute: u32,
    /// `POST /v1/password/forgot` (and `/v1/password/reset`).
    pub forgot_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            login_per_minute: 30,
            challenge_per_minute: 30,
            forgot_per_minute: 10,
        }
    }
}

impl RateLimits {
    /// Limits no test or benchmark reaches.
    pub fn unlimited() -> Self {
        Self {
            login_per_minute: u32::MAX,
            challenge_per_minute: u32::MAX,
            forgot_per_minute: u32::MAX,
        }
    }
}

/// Which forwarding header the trusted proxies write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, ...` (nginx, HAProxy, AWS ALB...).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            other => Err(format!(
                "{other:?} is neither x-forwarded-for nor forwarded"
            )),
        }
    }
}

/// The networks whose requests may name the client in a forwarding header, and which header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// Parses a comma-separated list of CIDRs (`10.0.0.0/8, ::1/128`); a bare address is one
    /// host. Names the entry that does not parse.
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{s:?} is not a CIDR (such as 10.0.0.0/8) or an address"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|nets| Self {
                nets,
                header: ForwardedHeader::default(),
            })
    }

    /// The same proxies, writing `header`.
    pub fn with_header(mut self, header: ForwardedHeader) -> Self {
        self.header = header;
        self
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy, in which case the
    /// right-most forwarded address that is not a trusted proxy (or the left-most, if every
    /// one is).
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let chain = forwarded_chain(headers, self.header);
        let mut client = peer;
        for ip in chain.into_iter().rev() {
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// An IPv4 address written as IPv6 (`::ffff:a.b.c.d`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The addresses a request was forwarded for, oldest first, from `header`. Entries that are not
/// addresses (`unknown`, obfuscated names) end the chain there: nothing left of them can be
/// attributed.
fn forwarded_chain(headers: &HeaderMap, header: ForwardedHeader) -> Vec<IpAddr> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .collect()
    };
    let raw: Vec<String> = match header {
        ForwardedHeader::XForwardedFor => values("x-forwarded-for"),
        ForwardedHeader::Forwarded => values("forwarded")
            .iter()
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.trim().split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| v.trim().trim_matches('"').to_string())
                })
            })
            .collect(),
    };
    let mut chain = Vec::with_capacity(raw.len());
    for entry in raw {
        match parse_node(&entry) {
            Some(ip) => chain.push(ip),
            None => chain.clear(),
        }
    }
    chain
}

/// `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]`, `[2001:db8::1]:80` or `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sock) = raw.parse::<SocketAddr>() {
        return Some(canonical(sock.ip()));
    }
    let inner = raw.strip_prefix('[')?.split(']').next()?;
    inner.parse::<IpAddr>().ok().map(canonical)
}

/// What a client's allowance is kept under: its IPv4 address, or its IPv6 /64.
fn rate_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// The client address of a request, put in its extensions by [`client_address`].
pub use chronid_app::ClientIp;

type Limiter = DefaultKeyedRateLimiter<IpAddr>;

/// Per-address limiters and what they refused.
pub struct Edge {
    proxies: TrustedProxies,
    login: Limiter,
    challenge: Limiter,
    forgot: Limiter,
    refused: AtomicU64,
}

/// The allowances a `POST` may draw on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LimitedRoute {
    Login,
    Challenge,
    Forgot,
}

/// The allowance of a `POST` to `path` (a request's path, or the OpenAPI template of one), if
/// it is limited.
pub(super) fn limited_route(path: &str) -> Option<LimitedRoute> {
    match path {
        // The JSON API's routes, and the login pages' forms that run the same use cases.
        "/v1/login" | "/login" | "/login/account" | "/login/sso" => Some(LimitedRoute::Login),
        // The assertion consumer: each post costs a signature check.
        p if p.starts_with("/saml/acs/") => Some(LimitedRoute::Login),
        // Google and GitHub logins: each callback costs calls to the provider and may record a
        // refusal (a GET, limited like the posts).
        p if is_provider_callback(p) => Some(LimitedRoute::Login),
        "/login/external/account" => Some(LimitedRoute::Login),
        "/v1/password/forgot"
        | "/v1/password/reset"
        | "/forgot-password"
        | "/reset-password"
        | "/login/password" => Some(LimitedRoute::Forgot),
        "/login/code" | "/login/code/resend" => Some(LimitedRoute::Challenge),
        p if p.starts_with("/v1/login/challenges/") => Some(LimitedRoute::Challenge),
        _ => None,
    }
}

/// A provider's answer to a Google or GitHub login.
fn is_provider_callback(path: &str) -> bool {
    matches!(path, "/auth/google/callback" | "/auth/github/callback")
}

fn limiter(per_minute: u32) -> Limiter {
    let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    RateLimiter::keyed(Quota::per_minute(n).allow_burst(n))
}

impl Edge {
    pub fn new(proxies: TrustedProxies, limits: RateLimits) -> Self {
        Self {
            proxies,
            login: limiter(limits.login_per_minute),
            challenge: limiter(limits.challenge_per_minute),
            forgot: limiter(limits.forgot_per_minute),
            refused: AtomicU64::new(0),
        }
    }

    /// Requests refused for their rate since start.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The limiter of a route, if it has one.
    fn limiter_for(&self, method: &axum::http::Method, path: &str) -> Option<&Limiter> {
        let callback = method == axum::http::Method::GET && is_provider_callback(path);
        if method != axum::http::Method::POST && !callback {
            return None;
        }
        limited_route(path).map(|route| match route {
            LimitedRoute::Login => &self.login,
            LimitedRoute::Challenge => &self.challenge,
            LimitedRoute::Forgot => &self.forgot,
        })
    }

    /// Forgets addresses whose allowance is whole again, so memory does not grow with every
    /// address ever seen.
    pub fn prune(&self) {
        for l in [&self.login, &self.challenge, &self.forgot] {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

impl Default for Edge {
    fn default() -> Self {
        Self::new(TrustedProxies::default(), RateLimits::default())
    }
}

/// Middleware: works out the client's address, and refuses a limited route over its rate with
/// `429 RATE-LIMITED` and `Retry-After`.
pub async fn client_address(
    State(edge): State<Arc<Edge>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if let Some(peer) = peer {
        let client = edge.proxies.client_ip(peer, request.headers());
        if let Some(limiter) = edge.limiter_for(request.method(), request.uri().path()) {
            if let Err(not_until) = limiter.check_key(&rate_key(client)) {
                edge.refused.fetch_add(1, Ordering::Relaxed);
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let secs = wait.max(Duration::from_secs(1)).as_secs_f64().ceil() as u64;
                tracing::info!(target: "security", %client, path = request.uri().path(), "rate limited");
                if !request.uri().path().starts_with("/v1/") {
                    // A page's form: the page says it in the page's language, and runs no use
                    // case (the web room refuses a throttled form before reading it).
                    request.extensions_mut().insert(ClientIp(client));
                    request
                        .extensions_mut()
                        .insert(chronid_app::Throttled(secs));
                    return next.run(request).await;
                }
                return Problem::http(
                    HttpCode::RateLimited,
                    format!("too many requests from this address; try again in {secs} seconds"),
                )
                .retry_after(secs)
                .into_response();
            }
        }
        request.extensions_mut().insert(ClientIp(client));
    }
    next.run(request).await
}

/// Keeps the limiters' memory bounded while the server runs, until `stop` says true.
pub async fn prune_until(edge: Arc<Edge>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => return,
            _ = tick.tick() => edge.prune(),
        }
    }
}

impl HttpState {
    /// The edge this state's router applies.
    pub fn edge(&self) -> Arc<Edge> {
        Arc::clone(&self.edge)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_peer() {
        let none = TrustedProxies::default();
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(none.client_ip(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        let lb = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(lb.client_ip(ip("10.1.2.3"), &h), ip("203.0.113.9"));
        // An untrusted peer's header is ignored even when it names a trusted network.
        assert_eq!(lb.client_ip(ip("198.51.100.1"), &h), ip("198.51.100.1"));
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_address_of_the_chain() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.168.1.1").unwrap();
        // The client wrote a spoofed first entry; the balancer appended the real one.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 192.168.1.1")]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &h), ip("203.0.113.9"));
        let h = headers(&[(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8::7]:443\";proto=https, for=10.9.9.9",
        )]);
        let rfc = proxies.clone().with_header(ForwardedHeader::Forwarded);
        assert_eq!(rfc.client_ip(ip("10.0.0.2"), &h), ip("2001:db8::7"));
        // Only the header the proxies write counts; the other is the client's.
        let h = headers(&[
            ("forwarded", "for=203.0.113.5"),
            ("x-forwarded-for", "203.0.113.6"),
        ]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &h), ip("203.0.113.6"));
        let rfc = proxies.clone().with_header(ForwardedHeader::Forwarded);
        assert_eq!(rfc.client_ip(ip("10.0.0.2"), &h), ip("203.0.113.5"));
        // An entry that is not an address hides what came before it.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, unknown")]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &h), ip("10.0.0.2"));
        // Mapped IPv4 is IPv4.
        assert_eq!(
            proxies.client_ip(
                ip("::ffff:10.0.0.2"),
                &headers(&[("x-forwarded-for", "203.0.113.9")])
            ),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn provider_callbacks_draw_on_the_login_allowance_though_they_are_gets() {
        let edge = Edge::new(TrustedProxies::default(), RateLimits::default());
        let get = axum::http::Method::GET;
        let post = axum::http::Method::POST;
        for path in ["/auth/google/callback", "/auth/github/callback"] {
            assert!(edge.limiter_for(&get, path).is_some(), "{path}");
        }
        assert!(edge.limiter_for(&post, "/login/external/account").is_some());
        // Starting a login or reading a page is not limited.
        assert!(edge.limiter_for(&get, "/auth/google/start").is_none());
        assert!(edge.limiter_for(&get, "/login").is_none());
    }

    #[test]
    fn ipv6_clients_share_the_allowance_of_their_64() {
        assert_eq!(
            rate_key(ip("2001:db8:1:2:aaaa::1")),
            rate_key(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            rate_key(ip("2001:db8:1:2::1")),
            rate_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(rate_key(ip("198.51.100.7")), ip("198.51.100.7"));
    }

    #[test]
    fn trusted_proxies_name_the_entry_that_does_not_parse() {
        assert!(TrustedProxies::parse("").unwrap().nets.is_empty());
        assert!(ForwardedHeader::parse("Forwarded").is_ok());
        assert!(ForwardedHeader::parse("x-real-ip").is_err());
        let err = TrustedProxies::parse("10.0.0.0/8, nope").unwrap_err();
        assert!(err.contains("\"nope\""), "{err}");
    }
}
