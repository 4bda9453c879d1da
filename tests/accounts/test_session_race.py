"""A cookie session is written back whole by every answer that changes it. The service
worker stores the app's shells while the person types their password on a fresh
phone: an answer to a request made with the signed-out cookie and arriving after the
sign-in must not write that cookie back (it signed the person out again)."""

def test_an_answer_made_from_the_signed_out_cookie_writes_no_cookie(app, client):
    before = client.get("/login")
    name, signed_out = before.headers["Set-Cookie"].split(";")[0].split("=", 1)
    late = app.test_client()  # the worker's request, made with the signed-out cookie
    late.set_cookie(name, signed_out)
    for url in ("/offline/picking", "/offline/packing", "/offline/receiving", "/sw.js",
                "/static/js/app.js", "/healthz"):
        answer = late.get(url)
        assert answer.status_code == 200, url
        assert "Set-Cookie" not in answer.headers, url
