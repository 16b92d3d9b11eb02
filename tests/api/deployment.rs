//! Deployment as written: the Dockerfile's health check runs under the image's `/bin/sh`
//! (dash) and passes against a ready service, and `docker-compose.yml` is a valid Compose
//! file that keeps attachments, restarts the service and tells it its public address.

use std::path::Path;
use std::process::Command;

use crate::both_backends;
#[allow(unused_imports)]
use crate::helpers::*;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The shell form of the Dockerfile's `HEALTHCHECK ... CMD <command>`, which Docker runs as
/// `/bin/sh -c <command>`.
fn healthcheck_command() -> String {
    let dockerfile = std::fs::read_to_string(Path::new(ROOT).join("Dockerfile")).unwrap();
    let line = dockerfile
        .lines()
        .find(|line| line.starts_with("HEALTHCHECK"))
        .expect("the Dockerfile has a HEALTHCHECK");
    let (_, command) = line
        .split_once(" CMD ")
        .expect("HEALTHCHECK ... CMD <command>");
    assert!(
        !command.trim_start().starts_with('['),
        "the shell form, run by /bin/sh: {line}"
    );
    command.trim().to_owned()
}

/// Runs the health check as the container would: under dash, with the image's `PATH` (the
/// binary on it) and the service's `ENGAGIERT_BIND`.
async fn run_healthcheck(bind: String) -> std::process::Output {
    let command = healthcheck_command();
    let binary_dir = Path::new(env!("CARGO_BIN_EXE_engagiert"))
        .parent()
        .unwrap()
        .to_owned();
    actix_web::rt::task::spawn_blocking(move || {
        Command::new("dash")
            .arg("-c")
            .arg(&command)
            .env("PATH", format!("{}:/usr/bin:/bin", binary_dir.display()))
            .env("ENGAGIERT_BIND", bind)
            .output()
            .expect("dash runs (Debian's /bin/sh)")
    })
    .await
    .unwrap()
}

both_backends! {
    async fn the_dockerfile_health_check_passes_under_dash_against_a_ready_service(app) {
        let (base, server) = app.serve();
        let port = base.rsplit(':').next().unwrap().to_owned();
        // The image binds 0.0.0.0; the check asks this host.
        let ready = run_healthcheck(format!("0.0.0.0:{port}")).await;
        assert!(ready.status.success(), "{ready:?}");
        server.stop(true).await;
        let stopped = run_healthcheck(format!("0.0.0.0:{port}")).await;
        assert!(!stopped.status.success(), "no service, no health: {stopped:?}");
        assert!(String::from_utf8_lossy(&stopped.stderr).contains(&port), "{stopped:?}");
    }
}

fn compose() -> serde_json::Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join("docker-compose.yml")).unwrap();
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).expect("docker-compose.yml is YAML");
    serde_json::to_value(yaml).unwrap()
}

#[test]
fn the_compose_file_follows_the_compose_specification() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(ROOT).join("tests/fixtures/compose-spec/compose-spec.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator =
        jsonschema::validator_for(&schema).expect("the specification's schema compiles");
    let compose = compose();
    let errors: Vec<String> = validator
        .iter_errors(&compose)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_compose_file_keeps_attachments_restarts_and_names_the_public_address() {
    let compose = compose();
    let api = &compose["services"]["api"];
    let environment = &api["environment"];
    assert!(api["restart"].is_string(), "a restart policy: {api}");
    assert!(compose["services"]["db"]["restart"].is_string());
    assert!(
        environment["ENGAGIERT_PUBLIC_URL"]
            .as_str()
            .is_some_and(|url| url.contains("http")),
        "{environment}"
    );
    let directory = environment["ENGAGIERT_ATTACHMENT_STORE"]
        .as_str()
        .expect("the attachment directory is set");
    let mounts: Vec<&str> = api["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let mount = mounts
        .iter()
        .find_map(|m| m.split_once(':').filter(|(_, target)| *target == directory))
        .unwrap_or_else(|| panic!("a volume at {directory}: {mounts:?}"));
    assert!(
        compose["volumes"].get(mount.0).is_some(),
        "{} is a named volume",
        mount.0
    );
    // The image makes the directory its user owns, so a new named volume is the user's too.
    let dockerfile = std::fs::read_to_string(Path::new(ROOT).join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains(&format!("mkdir -p {directory}")),
        "the image creates {directory}"
    );
}
