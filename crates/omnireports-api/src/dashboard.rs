//! The dashboard page at `/`: plain HTML, CSS and JS from `static/`, embedded in the binary so
//! the server stays a single file. Only `/` and the listed `/static/…` paths exist; everything
//! else keeps the API's JSON 404, and another method on these paths gets the 405 envelope.

use actix_web::http::header::{self, EntityTag, IfNoneMatch};
use actix_web::{web, HttpMessage as _, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// One embedded file, served at `/static/<path>`.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

const INDEX: Asset = Asset {
    path: "index.html",
    content_type: HTML,
    body: include_bytes!("../static/index.html"),
};

const ASSETS: &[Asset] = &[
    Asset {
        path: "dashboard.js",
        content_type: JS,
        body: include_bytes!("../static/dashboard.js"),
    },
    Asset {
        path: "dashboard.css",
        content_type: CSS,
        body: include_bytes!("../static/dashboard.css"),
    },
    Asset {
        path: "vendor/chart.umd.min.js",
        content_type: JS,
        body: include_bytes!("../static/vendor/chart.umd.min.js"),
    },
    // The MIT notice travels with the copy of Chart.js embedded in the binary.
    Asset {
        path: "vendor/chart.js.LICENSE.md",
        content_type: TEXT,
        body: include_bytes!("../static/vendor/chart.js.LICENSE.md"),
    },
];

/// The page scripts and styles come only from this server; no inline code, no CDN.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Registers `GET /` and `GET /static/<file>` for every embedded file.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/", &INDEX));
    for asset in ASSETS {
        cfg.service(resource(&format!("/static/{}", asset.path), asset));
    }
}

fn resource(path: &str, asset: &'static Asset) -> impl actix_web::dev::HttpServiceFactory {
    let etag = etag(asset.body);
    crate::get_only(
        path,
        web::get().to(move |request: HttpRequest| {
            let etag = etag.clone();
            async move { serve(asset, etag, &request) }
        }),
    )
}

/// A strong validator from the content: the same bytes, in this or another build, give the
/// same tag.
fn etag(body: &[u8]) -> EntityTag {
    EntityTag::new_strong(URL_SAFE_NO_PAD.encode(&Sha256::digest(body)[..16]))
}

/// `no-cache`: the paths are not versioned, so a new binary's files must win at once; the
/// browser revalidates with `If-None-Match` and gets a bodiless 304 while they are unchanged.
fn serve(asset: &Asset, etag: EntityTag, request: &HttpRequest) -> HttpResponse {
    let unchanged = match request.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(tags)) => tags.iter().any(|tag| tag.weak_eq(&etag)),
        None => false,
    };
    let mut response = match unchanged {
        true => HttpResponse::NotModified(),
        false => HttpResponse::Ok(),
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(header::ETag(etag))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY));
    match unchanged {
        true => response.finish(),
        false => response.content_type(asset.content_type).body(asset.body),
    }
}
