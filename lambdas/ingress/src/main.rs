//! Lambda: X webhook ingress — CRC answers, signature checks, deliveries → events on the bus.
//! Behind API Gateway (REST or HTTP API) or a Function URL. Wiring only; the logic is `starling_core::ingress`.

use starling_aws::ingress::{IngressSettings, handle_http};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    starling_aws::init_tracing();
    let settings = IngressSettings::from_env(&starling_aws::Env::process())?;
    let ingress = settings.build(&starling_aws::sdk_config().await);
    lambda_http::run(lambda_http::service_fn(|request| {
        handle_http(&ingress, request)
    }))
    .await
}
