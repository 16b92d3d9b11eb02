//! Registrations for network meetings: who may register whom (editors for their own
//! municipality, admins for any), and the refusals by the meeting's state.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;
use crate::meetings::*;

both_backends! {
    async fn registrations_follow_the_editor_admin_matrix(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let paderborn = paderborn(&app).await;
        let unna_editor = editor(&app, &unna, "unna").await;
        let paderborn_editor = editor(&app, &paderborn, "paderborn").await;
        let created = create(&app, &admin, &meeting("Netzwerktreffen", 30)).await;
        let path = format!("/api/v1/meetings/{}", id(&created));
        let registrations = format!("{path}/registrations");
        let etag_before = app.get(&path).send().await.expect(200).header("etag").unwrap();

        // Anonymous callers neither register nor learn who did.
        app.post(&registrations).json(&json!({"municipality_id": unna})).send().await.problem(401);
        app.get(&registrations).send().await.problem(401);
        // An editor registers their own municipality, and no other.
        app.post(&registrations).bearer(&paderborn_editor).json(&json!({"municipality_id": unna})).send().await.problem(403);
        let response = app.post(&registrations).bearer(&unna_editor)
            .json(&json!({"attendees": 2, "note": "Zu zweit"})).send().await.expect(201);
        assert_eq!(response.header("location").unwrap(), format!("{PUBLIC_URL}{registrations}/{unna}"));
        let own = response.json();
        assert_eq!(own["municipality_id"], unna);
        assert_eq!(own["municipality_name"], "Unna");
        assert_eq!((own["attendees"].as_i64(), own["version"].as_i64()), (Some(2), Some(1)));
        assert_eq!(own["meeting_id"], id(&created));
        // An admin registers any municipality and must say which.
        let problem = app.post(&registrations).bearer(&admin).json(&json!({})).send().await.problem(422);
        assert_eq!(error_fields(&problem), ["municipality_id"]);
        for (body, field) in [
            (json!({"municipality_id": paderborn, "attendees": 0}), "attendees"),
            (json!({"municipality_id": paderborn, "attendees": 51}), "attendees"),
            (json!({"municipality_id": paderborn, "attendees": -1}), "attendees"),
            (json!({"municipality_id": paderborn, "attendees": "zwei"}), "attendees"),
            (json!({"municipality_id": paderborn, "note": "x".repeat(1001)}), "note"),
            (json!({"municipality_id": "atlantis"}), "municipality_id"),
            (json!({"municipality_id": UNKNOWN_ID}), "municipality_id"),
            (json!({"municipality_id": paderborn, "colour": "blau"}), "colour"),
        ] {
            let problem = app.post(&registrations).bearer(&admin).json(&body).send().await.problem(422);
            assert_eq!(error_fields(&problem), [field], "{body}");
        }
        let other = app.post(&registrations).bearer(&admin).json(&json!({"municipality_id": paderborn})).send().await.expect(201).json();
        assert_eq!(other["attendees"], 1, "one attendee by default");
        app.post(&format!("/api/v1/meetings/{UNKNOWN_ID}/registrations")).bearer(&admin)
            .json(&json!({"municipality_id": unna})).send().await.problem(404);

        // Admins see every registration, editors their own.
        let all = app.get(&registrations).bearer(&admin).send().await.expect(200).json();
        assert_eq!(all["total"], 2);
        for (token, municipality) in [(&unna_editor, &unna), (&paderborn_editor, &paderborn)] {
            let list = app.get(&registrations).bearer(token).send().await.expect(200).json();
            assert_eq!(list["total"], 1);
            assert_eq!(list["items"][0]["municipality_id"], municipality.as_str());
        }
        app.get(&format!("{registrations}/unna")).bearer(&unna_editor).send().await.expect(200);
        app.get(&format!("{registrations}/05978036")).bearer(&admin).send().await.expect(200);
        app.get(&format!("{registrations}/unna")).bearer(&paderborn_editor).send().await.problem(403);

        // The meeting counts them; its version stays, its ETag does not.
        let counted = app.get(&path).send().await.expect(200);
        assert_ne!(counted.header("etag").unwrap(), etag_before);
        let counted = counted.json();
        assert_eq!(
            (counted["registration_count"].as_i64(), counted["attendee_count"].as_i64(), counted["places_left"].as_i64(), counted["version"].as_i64()),
            (Some(2), Some(3), Some(7), Some(1))
        );

        // A registration changes on its own version.
        let changed = app.patch(&format!("{registrations}/unna")).bearer(&unna_editor)
            .json(&json!({"attendees": 3})).send().await.expect(200).json();
        assert_eq!((changed["attendees"].as_i64(), changed["version"].as_i64(), changed["note"].as_str()), (Some(3), Some(2), Some("Zu zweit")));
        app.patch(&format!("{registrations}/unna")).bearer(&paderborn_editor).json(&json!({"attendees": 1})).send().await.problem(403);
        let problem = app.patch(&format!("{registrations}/unna")).bearer(&unna_editor)
            .json(&json!({"municipality_id": paderborn})).send().await.problem(422);
        assert_eq!(error_fields(&problem), ["municipality_id"]);
        assert_eq!(app.get(&path).send().await.expect(200).json()["version"], 1);

        // Withdrawal: by the municipality's editor or an admin; a second one finds nothing.
        app.delete(&format!("{registrations}/unna")).bearer(&paderborn_editor).send().await.problem(403);
        app.delete(&format!("{registrations}/unna")).send().await.problem(401);
        app.delete(&format!("{registrations}/unna")).bearer(&unna_editor).send().await.expect(204);
        app.delete(&format!("{registrations}/unna")).bearer(&unna_editor).send().await.problem(404);
        app.delete(&format!("{registrations}/05774032")).bearer(&admin).send().await.expect(204);
        let after = app.get(&path).send().await.expect(200).json();
        assert_eq!((after["registration_count"].as_i64(), after["attendee_count"].as_i64()), (Some(0), Some(0)));
        // Withdrawals are tombstones for sync scripts.
        let sync = app.get(&format!("{registrations}?include_deleted=true")).bearer(&admin).send().await.expect(200).json();
        assert_eq!(sync["total"], 2);
        assert_eq!(sync["items"][0]["deleted"], true);
        // A municipality that withdrew may register again.
        app.post(&registrations).bearer(&unna_editor).json(&json!({})).send().await.expect(201);
    }

    async fn registrations_are_refused_by_the_meetings_state(app) {
        let admin = app.admin().await;
        let unna = app.unna().await;
        let paderborn = paderborn(&app).await;
        let register = |m: &Value, municipality: &str, attendees: i64| {
            app.post(&format!("/api/v1/meetings/{}/registrations", id(m)))
                .bearer(&admin)
                .json(&json!({"municipality_id": municipality, "attendees": attendees}))
        };
        // After the registration deadline.
        let late = create(&app, &admin, &with(&meeting("Frist abgelaufen", 10), json!({"registration_deadline": from_now(0, -1)}))).await;
        let problem = register(&late, &unna, 1).send().await.problem(409);
        assert!(problem["detail"].as_str().unwrap().contains("deadline"), "{problem}");
        // A meeting that has begun.
        let past = create(&app, &admin, &meeting("Schon begonnen", -2)).await;
        register(&past, &unna, 1).send().await.problem(409);
        // A cancelled meeting.
        let cancelled = create(&app, &admin, &meeting("Abgesagt", 10)).await;
        app.post(&format!("/api/v1/meetings/{}/cancel", id(&cancelled))).bearer(&admin).send().await.expect(200);
        register(&cancelled, &unna, 1).send().await.problem(409);
        // Twice.
        let open = create(&app, &admin, &with(&meeting("Offen", 10), json!({"capacity": null}))).await;
        register(&open, &unna, 1).send().await.expect(201);
        let problem = register(&open, &unna, 1).send().await.problem(409);
        assert_eq!(error_fields(&problem), ["municipality_id"]);
        // Past the capacity, which counts attendees rather than registrations.
        let small = create(&app, &admin, &with(&meeting("Klein", 10), json!({"capacity": 3}))).await;
        register(&small, &unna, 2).send().await.expect(201);
        let problem = register(&small, &paderborn, 2).send().await.problem(409);
        assert_eq!(error_fields(&problem), ["attendees"]);
        register(&small, &paderborn, 1).send().await.expect(201);
        app.patch(&format!("/api/v1/meetings/{}/registrations/unna", id(&small))).bearer(&admin)
            .json(&json!({"attendees": 3})).send().await.problem(409);
        let full = app.get(&format!("/api/v1/meetings/{}", id(&small))).send().await.expect(200).json();
        assert_eq!((full["attendee_count"].as_i64(), full["places_left"].as_i64()), (Some(3), Some(0)));
        // The capacity cannot shrink below what is registered.
        let problem = app.patch(&format!("/api/v1/meetings/{}", id(&small))).bearer(&admin)
            .json(&json!({"capacity": 2})).send().await.problem(409);
        assert_eq!(error_fields(&problem), ["capacity"]);
        // Nothing refused was stored.
        for refused in [&late, &past, &cancelled] {
            let list = app.get(&format!("/api/v1/meetings/{}/registrations", id(refused))).bearer(&admin).send().await.expect(200).json();
            assert_eq!(list["total"], 0, "{}", refused["title"]);
        }
        assert_eq!(app.get(&format!("/api/v1/meetings/{}", id(&open))).send().await.expect(200).json()["registration_count"], 1);
    }
}
