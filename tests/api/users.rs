use engagiert::auth::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

fn new_user(email: &str, unna: &str) -> Value {
    json!({"email": email, "name": "Erika Mustermann", "role": "editor", "municipality_id": unna, "password": PASSWORD})
}

both_backends! {
    async fn admin_creates_reads_and_replaces_a_user(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let created = app.post("/api/v1/users").bearer(&admin).json(&new_user("erika@unna.de", &unna)).send().await.expect(201);
        let location = created.header("location").unwrap();
        let user = created.json();
        assert_eq!(location, format!("{PUBLIC_URL}/api/v1/users/{}", user["id"].as_str().unwrap()));
        assert_eq!(user["version"], 1);
        assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
        assert!(user.get("password").is_none());
        let read = app.get(&location).bearer(&admin).send().await.expect(200);
        assert_eq!(read.json(), user);
        let replaced = app.put(&location).bearer(&admin)
            .json(&json!({"email": "erika@unna.de", "name": "Erika M.", "role": "editor", "municipality_id": unna, "active": true}))
            .send().await.expect(200);
        assert_ne!(replaced.header("etag"), read.header("etag"));
        let replaced = replaced.json();
        assert_eq!(replaced["name"], "Erika M.");
        assert_eq!(replaced["version"], 2);
        // The new user can log in with the password given on creation.
        app.post("/api/v1/auth/login").json(&json!({"email": "erika@unna.de", "password": PASSWORD})).send().await.expect(200);
    }

    async fn user_validation_names_each_field(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"email": "no-at", "name": "X", "role": "editor", "municipality_id": unna, "password": PASSWORD}), vec!["email"]),
            (json!({"email": "a@b.de", "name": "", "role": "editor", "municipality_id": unna, "password": PASSWORD}), vec!["name"]),
            (json!({"email": "a@b.de", "name": "X", "role": "mayor", "password": PASSWORD}), vec!["role"]),
            (json!({"email": "a@b.de", "name": "X", "role": "editor", "password": PASSWORD}), vec!["municipality_id"]),
            (json!({"email": "a@b.de", "name": "X", "role": "admin", "municipality_id": unna, "password": PASSWORD}), vec!["municipality_id"]),
            (json!({"email": "a@b.de", "name": "X", "role": "admin", "password": "short"}), vec!["password"]),
            (json!({"email": "a@b.de", "name": "X", "role": "admin", "password": PASSWORD, "is_boss": true}), vec!["is_boss"]),
            (json!({"email": 5, "name": 6, "role": "admin", "password": PASSWORD}), vec!["email", "name"]),
            (json!({"name": "X", "role": "admin", "password": PASSWORD}), vec!["email"]),
            (json!({"email": "a@b.de", "name": "X", "role": "editor", "municipality_id": "not-a-uuid", "password": PASSWORD}), vec!["municipality_id"]),
        ];
        for (body, fields) in cases {
            let problem = app.post("/api/v1/users").bearer(&admin).json(&body).send().await.problem(422);
            assert_eq!(error_fields(&problem), fields, "{body}");
        }
        let list = app.get("/api/v1/users").bearer(&admin).send().await.expect(200).json();
        assert_eq!(list["total"], 1, "nothing was stored");
    }

    async fn duplicate_email_is_409(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        app.post("/api/v1/users").bearer(&admin).json(&new_user("erika@unna.de", &unna)).send().await.expect(201);
        let problem = app.post("/api/v1/users").bearer(&admin).json(&new_user("ERIKA@unna.de", &unna)).send().await.problem(409);
        assert_eq!(error_fields(&problem), ["email"]);
    }

    async fn patch_merges_and_keeps_the_rules(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let user = app.post("/api/v1/users").bearer(&admin).json(&new_user("erika@unna.de", &unna)).send().await.expect(201).json();
        let path = format!("/api/v1/users/{}", user["id"].as_str().unwrap());
        let patched = app.patch(&path).bearer(&admin).header("content-type", "application/merge-patch+json")
            .raw("application/merge-patch+json", json!({"name": "Erika Muster"}).to_string())
            .send().await.expect(200).json();
        assert_eq!(patched["name"], "Erika Muster");
        assert_eq!(patched["email"], "erika@unna.de");
        assert_eq!(patched["version"], 2);
        // Removing the municipality of an editor breaks a rule; read-only fields are refused.
        let problem = app.patch(&path).bearer(&admin).json(&json!({"municipality_id": null})).send().await.problem(422);
        assert_eq!(error_fields(&problem), ["municipality_id"]);
        // A stale version in the body is a stale If-Match (412); another id is 422.
        app.patch(&path).bearer(&admin).json(&json!({"version": 7})).send().await.problem(412);
        let problem = app.patch(&path).bearer(&admin).json(&json!({"id": "x"})).send().await.problem(422);
        assert_eq!(error_fields(&problem), ["id"]);
        // A patch that changes the password lets the user log in with the new one.
        app.patch(&path).bearer(&admin).json(&json!({"password": "ein neues Passwort"})).send().await.expect(200);
        app.post("/api/v1/auth/login").json(&json!({"email": "erika@unna.de", "password": "ein neues Passwort"})).send().await.expect(200);
    }

    async fn the_last_admin_cannot_be_removed(app) {
        let (id, token) = app.user("chef@engagiert.example", Role::Admin, None).await;
        let _ = app.unna().await;
        app.delete(&format!("/api/v1/users/{id}")).bearer(&token).send().await.problem(409);
        app.patch(&format!("/api/v1/users/{id}")).bearer(&token).json(&json!({"active": false})).send().await.problem(409);
        let (other, _) = app.user("zweite@engagiert.example", Role::Admin, None).await;
        app.delete(&format!("/api/v1/users/{other}")).bearer(&token).send().await.expect(204);
    }

    async fn users_filter_and_sort(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        for email in ["c@unna.de", "a@unna.de", "b@unna.de"] {
            app.post("/api/v1/users").bearer(&admin).json(&new_user(email, &unna)).send().await.expect(201);
        }
        let emails = |list: Value| -> Vec<String> {
            list["items"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_owned()).collect()
        };
        let editors = app.get("/api/v1/users?role=editor").bearer(&admin).send().await.expect(200).json();
        assert_eq!(emails(editors), ["a@unna.de", "b@unna.de", "c@unna.de"]);
        let descending = app.get("/api/v1/users?role=editor&sort=-email").bearer(&admin).send().await.expect(200).json();
        assert_eq!(emails(descending), ["c@unna.de", "b@unna.de", "a@unna.de"]);
        let admins = app.get("/api/v1/users?role=admin").bearer(&admin).send().await.expect(200).json();
        assert_eq!(admins["total"], 1);
        let of_unna = app.get(&format!("/api/v1/users?municipality_id={unna}")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(of_unna["total"], 3);
        app.get("/api/v1/users?role=mayor").bearer(&admin).send().await.problem(400);
        app.get("/api/v1/users?active=perhaps").bearer(&admin).send().await.problem(400);
    }
}
