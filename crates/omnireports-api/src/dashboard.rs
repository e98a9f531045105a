//! The dashboard page at `/`: plain HTML, CSS and JS from `static/`, embedded in the binary so
//! the server stays a single file. Only `/` and the listed `/static/…` paths exist; everything
//! else keeps the API's JSON 404, and another method on these paths gets the 405 envelope.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

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
    crate::get_only(path, web::get().to(move || async move { serve(asset) }))
}

/// `no-cache`: the paths are not versioned, so a new binary's files must win at once.
fn serve(asset: &Asset) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .body(asset.body)
}
