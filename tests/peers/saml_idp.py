#!/usr/bin/env python3
"""A SAML 2.0 identity provider (IdP) for chronid's end-to-end tests of its SAML service
provider (SP), built on pysaml2 and the xmlsec1 program.

It is an independent implementation of the other side of the protocol: the SP under test
sends it AuthnRequests, and it answers with Responses signed the way real IdPs (ADFS, Azure,
Okta...) sign them, or, on request, with deliberately broken Responses for attack tests.

How tests start it:

    python3 tests/peers/saml_idp.py --port 0 --parent-pid $$ \
        --sp-metadata-url http://127.0.0.1:18080/saml/metadata/abc

Once it listens, it prints ONE line of JSON on stdout, then nothing else there:

    {"port": N, "entity_id": "http://127.0.0.1:N/idp",
     "sso_url": "http://127.0.0.1:N/sso/redirect", "certificate_pem": "-----BEGIN CERTIFICATE-----\\n..."}

(on one line). At start it generates a fresh RSA-2048 key and a self-signed certificate; the
tests give that certificate (or the IdP metadata at /idp/metadata) to the SP. It exits when
the process named by --parent-pid has gone.

The SP's metadata (which tells the IdP the SP's entity id, assertion consumer service URL and
signing certificate) comes from --sp-metadata-url / --sp-metadata-file, read again before each
SSO request (so the SP may create its configuration after the IdP started, or change it), or
from POST /sp-metadata with the XML as the body.

Endpoints:
    GET  /idp/metadata       the IdP's metadata (EntityDescriptor)
    GET  /sso/redirect       HTTP-Redirect binding: takes the AuthnRequest, answers a login form
                             in which the test says who logs in
    POST /sso/login          the login form's target: answers the HTTP-POST binding form that
                             carries the signed Response to the SP's ACS
    GET  /sso/test-response  JSON with a Response built directly (valid or broken on purpose),
                             for tests that post it to the ACS themselves; see RESPONSE_MODES
    POST /sp-metadata        adds (or replaces) an SP from the metadata XML in the body
    GET  /logout             a "logged out" page (where the SP sends the browser after logout)
    GET  /health             {"ok": true}
"""

import argparse
import base64
import datetime
import html
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import warnings
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlparse

# pysaml2 names cipher modes that recent versions of cryptography moved; the warning is noise.
warnings.filterwarnings("ignore", message=".*has been moved to cryptography.hazmat.decrepit")

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, class_name
from saml2.config import IdPConfig
from saml2.mdstore import InMemoryMetaData
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.saml import AUTHN_PASSWORD_PROTECTED
from saml2.server import Server
from saml2.sigver import pre_signature_part
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

XMLSEC_BINARY = "/usr/bin/xmlsec1"

# The claim types ADFS and Azure AD use; the SP maps these to the user's profile and groups.
CLAIM_GIVEN_NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"
CLAIM_SURNAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"
CLAIM_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
CLAIM_GROUP = "http://schemas.xmlsoap.org/claims/Group"

# Where the wrong_destination variant says the Response is going (nothing listens there).
ELSEWHERE_ACS = "http://127.0.0.1:9/saml/acs/elsewhere"
# The audience the wrong_audience variant names instead of the SP's entity id.
OTHER_AUDIENCE = "http://127.0.0.1:9/some-other-sp"

# The variants /sso/test-response can build. Each differs from "valid" in one respect only,
# and, except for "unsigned" and "other_key", carries genuine signatures by the IdP's key
# (over the altered content), so the SP must reject it for the stated reason and not because
# a signature is broken. How each is produced:
#   valid             pysaml2's create_authn_response, signing as configured (by default the
#                     Response and the Assertion, RSA-SHA256 / SHA-256).
#   sha1              the same, with RSA-SHA1 signatures and SHA-1 digests.
#   unsolicited       the same, without InResponseTo (neither on the Response nor on the
#                     SubjectConfirmationData), as an IdP-initiated login would be.
#   wrong_destination the same, with Destination and the SubjectConfirmationData's Recipient
#                     set to ELSEWHERE_ACS (or to the query's "destination").
#   unsigned          create_authn_response with neither the Response nor the Assertion signed.
#   expired           built unsigned by create_authn_response, then edited: the Conditions'
#                     NotBefore is 10 minutes ago, their NotOnOrAfter and the
#                     SubjectConfirmationData's NotOnOrAfter 5 minutes ago (IssueInstant stays
#                     "now"); then signed with pysaml2's security context (sign_statement).
#   not_yet_valid     the same way: the Conditions' NotBefore is in 10 minutes, NotOnOrAfter
#                     in 15.
#   wrong_audience    the same way: the AudienceRestriction names OTHER_AUDIENCE.
#   other_key         the same way with no edit, signed by a second key generated at start
#                     that is in no metadata; the KeyInfo carries that key's certificate, as
#                     an attacker's would, so an SP that trusts KeyInfo would be fooled.
RESPONSE_MODES = (
    "valid",
    "unsigned",
    "other_key",
    "sha1",
    "expired",
    "not_yet_valid",
    "wrong_audience",
    "wrong_destination",
    "unsolicited",
)


# ----------------------------------------------------------------------------------------
# Keys and certificates


def make_key_and_certificate(directory, name, common_name):
    """Writes a fresh RSA-2048 private key and a self-signed certificate for it to
    directory/name.key and directory/name.crt (PEM), and returns both paths."""
    key_path = os.path.join(directory, name + ".key")
    cert_path = os.path.join(directory, name + ".crt")
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID
    except ImportError:
        # No cryptography package: let openssl do the same.
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
             "-days", "30", "-subj", "/CN=" + common_name,
             "-keyout", key_path, "-out", cert_path],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return key_path, cert_path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)  # self-signed: issuer and subject are the same
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    with open(key_path, "wb") as out:
        out.write(key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ))
    with open(cert_path, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def certificate_body(cert_path):
    """The base64 text between the PEM armour lines, as XML signatures' KeyInfo carries it."""
    lines = open(cert_path).read().strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


# ----------------------------------------------------------------------------------------
# Time stamps, in the form SAML uses (xs:dateTime in UTC)


def saml_time(offset_seconds=0):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------------------
# The IdP itself


class IdentityProvider:
    """A pysaml2 Server configured as an IdP, with the SPs it knows and the ways it builds
    Responses. pysaml2 is not meant to be used from several threads at once, so every method
    that touches it takes `self.lock`."""

    def __init__(self, base_url, key_path, cert_path, other_key_path, other_cert_path,
                 sp_urls, sp_files, sign_response=True, sign_assertion=True):
        self.lock = threading.RLock()
        self.base_url = base_url
        self.entity_id = base_url + "/idp"
        self.sso_url = base_url + "/sso/redirect"
        self.cert_path = cert_path
        self.other_key_path = other_key_path
        self.other_cert_body = certificate_body(other_cert_path)
        self.sign_response = sign_response
        self.sign_assertion = sign_assertion
        self.sp_urls = list(sp_urls)
        self.sp_files = list(sp_files)
        # The text last loaded from each metadata source (URL, file or POST), by source.
        self.loaded = {}

        config = IdPConfig()
        config.load({
            "entityid": self.entity_id,
            "xmlsec_binary": XMLSEC_BINARY,
            "key_file": key_path,
            "cert_file": cert_path,
            # No SP to start with: they come later (see refresh_sps and add_sp).
            "metadata": {"inline": []},
            # How far apart the SP's clock and ours may be when checking AuthnRequests.
            "accepted_time_diff": 60,
            "service": {
                "idp": {
                    "name": "chronid test IdP",
                    "endpoints": {
                        "single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "sign_response": sign_response,
                    "sign_assertion": sign_assertion,
                    # Without these two, pysaml2 signs with RSA-SHA1 and SHA-1 digests.
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                    "want_authn_requests_signed": False,
                    "policy": {
                        "default": {
                            # Assertions are valid for 5 minutes from their issue.
                            "lifetime": {"minutes": 5},
                            # Release every attribute we are given, whatever the SP asks for.
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        },
                    },
                },
            },
        })
        self.config = config
        self.server = Server(config=config)
        descriptor = entity_descriptor(config)
        # pysaml2 lists every algorithm it knows (MD5 and DSA among them) in an Extensions
        # element; real IdPs publish no such list, so neither do we.
        descriptor.extensions = None
        self.metadata_xml = descriptor.to_string().decode()

    # -- the SPs --------------------------------------------------------------------------

    def install_sp_metadata(self, source, xml):
        """Loads one SP metadata document into pysaml2's metadata store under the key
        `source`. A document that did not change since the last load is left alone. When the
        new document describes an entity another source also describes, the other source is
        dropped, so the most recently changed description wins. Returns the entity ids."""
        with self.lock:
            store = self.server.metadata
            if self.loaded.get(source) == xml and source in store.metadata:
                return list(store.metadata[source].keys())
            document = InMemoryMetaData(self.config.attribute_converters, xml)
            document.load()  # parses; raises on a malformed document
            entity_ids = set(document.keys())
            if not entity_ids:
                raise ValueError("no EntityDescriptor in the metadata")
            for other in list(store.metadata):
                if other != source and entity_ids & set(store.metadata[other].keys()):
                    del store.metadata[other]
            store.metadata[source] = document
            self.loaded[source] = xml
            return sorted(entity_ids)

    def add_sp(self, xml):
        """An SP's metadata posted to /sp-metadata. Returns its entity ids."""
        document = InMemoryMetaData(self.config.attribute_converters, xml)
        document.load()
        source = "posted:" + " ".join(sorted(document.keys()))
        return self.install_sp_metadata(source, xml)

    def refresh_sps(self):
        """Reads every metadata URL and file again (the SP may have created or changed its
        configuration since). A source that cannot be read now keeps its last good copy."""
        for url in self.sp_urls:
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    xml = answer.read().decode("utf-8")
                self.install_sp_metadata(url, xml)
            except Exception as error:
                print(f"saml_idp: SP metadata at {url}: {error}", file=sys.stderr)
        for path in self.sp_files:
            try:
                with open(path, encoding="utf-8") as source:
                    xml = source.read()
                self.install_sp_metadata(path, xml)
            except Exception as error:
                print(f"saml_idp: SP metadata in {path}: {error}", file=sys.stderr)

    def known_sps(self):
        with self.lock:
            return sorted(self.server.metadata.keys())

    def acs_urls(self, sp):
        """The SP's HTTP-POST assertion consumer services from its metadata, the default one
        first (isDefault="true", else the lowest index, else the first listed)."""
        with self.lock:
            if sp not in self.server.metadata.keys():
                return []
            services = self.server.metadata.assertion_consumer_service(sp, BINDING_HTTP_POST) or []

        def rank(item):
            position, service = item
            default = str(service.get("is_default", "")).lower() == "true"
            index = int(service["index"]) if str(service.get("index", "")).isdigit() else 1 << 30
            return (not default, index, position)

        return [service["location"] for _, service in sorted(enumerate(services), key=rank)]

    def choose_acs(self, sp, requested_url=None, requested_index=None):
        """The ACS URL to answer to: the one the AuthnRequest names, if the metadata lists
        it, else the default one. Raises ValueError when the request names an ACS the
        metadata does not list (answering there would hand the assertion to anyone)."""
        if sp not in self.known_sps():
            raise ValueError(f"unknown service provider {sp!r} (known: {self.known_sps()})")
        urls = self.acs_urls(sp)
        if not urls:
            raise ValueError(f"no HTTP-POST AssertionConsumerService for {sp!r} in its metadata")
        if requested_url:
            if requested_url not in urls:
                raise ValueError(f"AssertionConsumerServiceURL {requested_url!r} is not in the SP's metadata")
            return requested_url
        if requested_index is not None:
            with self.lock:
                services = self.server.metadata.assertion_consumer_service(sp, BINDING_HTTP_POST)
            for service in services:
                if str(service.get("index")) == str(requested_index):
                    return service["location"]
            raise ValueError(f"AssertionConsumerServiceIndex {requested_index} is not in the SP's metadata")
        return urls[0]

    def sp_signing_certificates(self, sp):
        """The base64 bodies of the SP's signing certificates from its metadata."""
        with self.lock:
            try:
                return [cert for _, cert in self.server.metadata.certs(sp, "spsso", use="signing")]
            except Exception:
                return []

    # -- AuthnRequests --------------------------------------------------------------------

    def parse_redirect_request(self, raw_query):
        """Parses the AuthnRequest of an HTTP-Redirect binding request (its raw query
        string). Returns a dict: id, sp, acs_url, relay_state, signed (bool). Raises on a bad
        request, including a Signature that does not verify with the SP's certificate."""
        # Keep the raw (still URL-encoded) values: a redirect signature covers them as sent.
        raw = {}
        for part in raw_query.split("&"):
            name, _, value = part.partition("=")
            raw.setdefault(name, value)
        if "SAMLRequest" not in raw:
            raise ValueError("no SAMLRequest parameter")
        saml_request = unquote_plus(raw["SAMLRequest"])
        relay_state = unquote_plus(raw.get("RelayState", ""))
        with self.lock:
            parsed = self.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        if parsed is None:
            raise ValueError("the AuthnRequest could not be parsed")
        request = parsed.message
        if request.issuer is None or not request.issuer.text:
            raise ValueError("the AuthnRequest has no Issuer")
        sp = request.issuer.text.strip()
        if request.protocol_binding and request.protocol_binding != BINDING_HTTP_POST:
            raise ValueError(f"ProtocolBinding {request.protocol_binding} is not supported, only HTTP-POST")
        acs_url = self.choose_acs(sp, request.assertion_consumer_service_url,
                                  request.assertion_consumer_service_index)
        signed = "Signature" in raw
        if signed:
            verify_redirect_signature(raw, self.sp_signing_certificates(sp))
        return {"id": request.id, "sp": sp, "acs_url": acs_url,
                "relay_state": relay_state, "signed": signed}

    # -- Responses ------------------------------------------------------------------------

    def build_response(self, sp, acs_url, in_response_to, person, mode="valid", destination=None):
        """The XML text of a Response to `sp` for `person` (a dict: email, given_name,
        surname, groups, and email_claim when the email claim differs), built as `mode` says (see RESPONSE_MODES)."""
        if mode not in RESPONSE_MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(RESPONSE_MODES)}")
        # The email claim is the NameID's address unless the person gives another one.
        identity = {CLAIM_EMAIL: [person.get("email_claim") or person["email"]]}
        if person.get("given_name"):
            identity[CLAIM_GIVEN_NAME] = [person["given_name"]]
        if person.get("surname"):
            identity[CLAIM_SURNAME] = [person["surname"]]
        if person.get("groups"):
            identity[CLAIM_GROUP] = list(person["groups"])
        arguments = {
            "identity": identity,
            "in_response_to": in_response_to or None,
            "destination": acs_url,
            "sp_entity_id": sp,
            "name_id": NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=person["email"]),
            "authn": {"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": self.entity_id},
            "sign_response": self.sign_response,
            "sign_assertion": self.sign_assertion,
            "sign_alg": SIG_RSA_SHA256,
            "digest_alg": DIGEST_SHA256,
        }
        if mode == "sha1":
            arguments["sign_alg"] = SIG_RSA_SHA1
            arguments["digest_alg"] = DIGEST_SHA1
        elif mode == "unsolicited":
            arguments["in_response_to"] = None
        elif mode == "wrong_destination":
            arguments["destination"] = destination or ELSEWHERE_ACS
        elif mode == "unsigned":
            arguments["sign_response"] = False
            arguments["sign_assertion"] = False

        edited = mode in ("expired", "not_yet_valid", "wrong_audience", "other_key")
        if edited:
            # Build it unsigned, edit it, then sign the edited content.
            arguments["sign_response"] = False
            arguments["sign_assertion"] = False

        with self.lock:
            response = self.server.create_authn_response(**arguments)
            if not edited:
                # pysaml2 hands back a string once it signed something, else an instance.
                return response if isinstance(response, str) else response.to_string().decode()

            assertion = response.assertion
            if isinstance(assertion, list):
                assertion = assertion[0]
            conditions = assertion.conditions
            confirmation_data = [c.subject_confirmation_data for c in assertion.subject.subject_confirmation
                                 if c.subject_confirmation_data is not None]
            if mode == "expired":
                conditions.not_before = saml_time(-600)
                conditions.not_on_or_after = saml_time(-300)
                for data in confirmation_data:
                    data.not_on_or_after = saml_time(-300)
            elif mode == "not_yet_valid":
                conditions.not_before = saml_time(600)
                conditions.not_on_or_after = saml_time(900)
            elif mode == "wrong_audience":
                for restriction in conditions.audience_restriction:
                    for audience in restriction.audience:
                        audience.text = OTHER_AUDIENCE

            if mode == "other_key":
                key_file, cert_body = self.other_key_path, self.other_cert_body
            else:
                key_file, cert_body = None, None  # None: the IdP's own key and certificate
            return self.sign_edited(response, assertion, key_file, cert_body)

    def sign_edited(self, response, assertion, key_file=None, cert_body=None):
        """Signs an (edited) Response instance as the configuration says (Assertion and/or
        Response, RSA-SHA256 / SHA-256), with the IdP's key or `key_file`, through pysaml2's
        security context (which runs xmlsec1). The Assertion is signed first, so the
        Response's signature covers the Assertion's signature too."""
        security = self.server.sec
        cert_body = cert_body or security.my_cert
        to_sign = []
        if self.sign_assertion:
            assertion.signature = pre_signature_part(
                assertion.id, cert_body, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
            to_sign.append((class_name(assertion), assertion.id))
        if self.sign_response:
            response.signature = pre_signature_part(
                response.id, cert_body, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
            to_sign.append((class_name(response), response.id))
        xml = response.to_string().decode()
        for node_name, node_id in to_sign:
            xml = security.sign_statement(xml, node_name=node_name, key_file=key_file, node_id=node_id)
        return xml

    def post_binding_fields(self, xml, acs_url, relay_state):
        """The form fields of the HTTP-POST binding for the Response `xml`, as pysaml2's
        apply_binding encodes them: [(name, value)] (SAMLResponse, and RelayState if any).

        pysaml2 renders them in a page whose Continue button only shows without script; we
        take the fields from that page and render our own (see post_binding_page)."""
        with self.lock:
            info = self.server.apply_binding(BINDING_HTTP_POST, xml, destination=acs_url,
                                             relay_state=relay_state, response=True)
        collector = HiddenInputs()
        collector.feed(info["data"])
        return collector.fields


# ----------------------------------------------------------------------------------------
# Redirect-binding signatures (SAML bindings, section 3.4.4.1)


def verify_redirect_signature(raw, certificates):
    """Checks the Signature of an HTTP-Redirect binding message, whose parameters are given
    as sent (URL-encoded): the signature covers "SAMLRequest=..&RelayState=..&SigAlg=.."
    exactly as they appear in the URL. Raises ValueError unless it verifies with one of
    `certificates` (base64 DER bodies)."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    hashes_by_algorithm = {
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1": hashes.SHA1(),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": hashes.SHA256(),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384(),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512(),
    }
    algorithm = unquote_plus(raw.get("SigAlg", ""))
    if algorithm not in hashes_by_algorithm:
        raise ValueError(f"unsupported SigAlg {algorithm!r}")
    if not certificates:
        raise ValueError("the AuthnRequest is signed but the SP's metadata has no signing certificate")
    signed = "SAMLRequest=" + raw["SAMLRequest"]
    if "RelayState" in raw:
        signed += "&RelayState=" + raw["RelayState"]
    signed += "&SigAlg=" + raw["SigAlg"]
    signature = base64.b64decode(unquote_plus(raw["Signature"]))
    for body in certificates:
        public_key = x509.load_der_x509_certificate(base64.b64decode(body)).public_key()
        try:
            public_key.verify(signature, signed.encode(), padding.PKCS1v15(), hashes_by_algorithm[algorithm])
            return
        except InvalidSignature:
            continue
    raise ValueError("the AuthnRequest's signature does not verify with the SP's certificate")


class HiddenInputs(HTMLParser):
    """Collects the name and value of every <input type="hidden"> of a page."""

    def __init__(self):
        super().__init__()
        self.fields = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.fields.append((attributes["name"], attributes.get("value") or ""))


# ----------------------------------------------------------------------------------------
# Pages


def page(title, body):
    """A plain HTML page."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<main>\n"
        f"<h1>{html.escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )


def hidden(name, value):
    return f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'


def login_page(request):
    """The form in which the test (or a person) says who logs in, for one AuthnRequest."""
    fields = "\n".join([
        hidden("request_id", request["id"]),
        hidden("sp", request["sp"]),
        hidden("acs_url", request["acs_url"]),
        hidden("relay_state", request["relay_state"]),
    ])
    signed = "signed" if request["signed"] else "not signed"
    return page("Test identity provider: sign in", f"""
<p>Service provider: <code>{html.escape(request['sp'])}</code>.
The authentication request was {signed}.</p>
<form method="post" action="/sso/login">
{fields}
<p><label for="email">Email address</label><br>
<input type="email" id="email" name="email" required autocomplete="email"></p>
<p><label for="given_name">Given name</label><br>
<input type="text" id="given_name" name="given_name" autocomplete="given-name"></p>
<p><label for="surname">Surname</label><br>
<input type="text" id="surname" name="surname" autocomplete="family-name"></p>
<p><label for="groups">Groups (comma separated)</label><br>
<input type="text" id="groups" name="groups"></p>
<p><button type="submit">Sign in</button></p>
</form>""")


def post_binding_page(acs_url, fields):
    """The HTTP-POST binding page: a form to the SP's ACS carrying the Response, sent at
    once by a script, with a visible button for a browser that runs no script."""
    inputs = "\n".join(hidden(name, value) for name, value in fields)
    return page("Test identity provider: signing in", f"""
<form method="post" action="{html.escape(acs_url)}">
{inputs}
<p><button type="submit">Continue to the service</button></p>
</form>
<script>document.forms[0].submit();</script>""")


def split_groups(text):
    return [group.strip() for group in (text or "").split(",") if group.strip()]


# ----------------------------------------------------------------------------------------
# HTTP


class Http(BaseHTTPRequestHandler):
    idp = None  # the IdentityProvider, set by main()

    def log_message(self, *args):
        pass

    def send(self, status, content_type, text):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def reply_json(self, status, payload):
        self.send(status, "application/json", json.dumps(payload))

    def reply_html(self, status, text):
        self.send(status, "text/html; charset=utf-8", text)

    def reply_error_page(self, status, message):
        self.reply_html(status, page("Test identity provider: error", f"<p>{html.escape(message)}</p>"))

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length).decode("utf-8")

    def do_GET(self):
        url = urlparse(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            if url.path == "/health":
                return self.reply_json(200, {"ok": True})
            if url.path == "/idp/metadata":
                return self.send(200, "application/samlmetadata+xml", self.idp.metadata_xml)
            if url.path == "/logout":
                return self.reply_html(200, page("Logged out", "<p>You are logged out.</p>"))
            if url.path == "/sso/redirect":
                return self.sso_redirect(url.query)
            if url.path == "/sso/test-response":
                return self.test_response(query)
        except Exception as error:
            traceback.print_exc()
            return self.reply_error_page(500, f"{type(error).__name__}: {error}")
        return self.reply_json(404, {"error": "not found"})

    def do_POST(self):
        url = urlparse(self.path)
        try:
            if url.path == "/sso/login":
                return self.sso_login(self.read_body())
            if url.path == "/sp-metadata":
                try:
                    entity_ids = self.idp.add_sp(self.read_body())
                except Exception as error:
                    return self.reply_json(400, {"error": f"{type(error).__name__}: {error}"})
                return self.reply_json(200, {"entity_ids": entity_ids})
        except Exception as error:
            traceback.print_exc()
            return self.reply_error_page(500, f"{type(error).__name__}: {error}")
        return self.reply_json(404, {"error": "not found"})

    def sso_redirect(self, raw_query):
        self.idp.refresh_sps()
        try:
            request = self.idp.parse_redirect_request(raw_query)
        except Exception as error:
            print(f"saml_idp: rejected AuthnRequest: {error}", file=sys.stderr)
            return self.reply_error_page(400, f"Bad authentication request: {error}")
        return self.reply_html(200, login_page(request))

    def sso_login(self, body):
        form = {name: values[0] for name, values in parse_qs(body, keep_blank_values=True).items()}
        email = form.get("email", "").strip()
        sp = form.get("sp", "")
        if not email or not sp:
            return self.reply_error_page(400, "The email address and the service provider are required.")
        self.idp.refresh_sps()
        try:
            # The ACS URL came back from the browser: check it against the metadata again.
            acs_url = self.idp.choose_acs(sp, form.get("acs_url") or None)
        except ValueError as error:
            return self.reply_error_page(400, str(error))
        person = {
            "email": email,
            "given_name": form.get("given_name", "").strip(),
            "surname": form.get("surname", "").strip(),
            "groups": split_groups(form.get("groups")),
            "email_claim": form.get("email_claim", "").strip(),
        }
        relay_state = form.get("relay_state", "")
        xml = self.idp.build_response(sp, acs_url, form.get("request_id") or None, person)
        fields = self.idp.post_binding_fields(xml, acs_url, relay_state)
        return self.reply_html(200, post_binding_page(acs_url, fields))

    def test_response(self, query):
        sp = query.get("sp", "")
        email = query.get("email", "")
        mode = query.get("mode") or "valid"
        if not sp or not email:
            return self.reply_json(400, {"error": "sp and email are required"})
        if mode not in RESPONSE_MODES:
            return self.reply_json(400, {"error": f"unknown mode {mode!r}", "modes": list(RESPONSE_MODES)})
        self.idp.refresh_sps()
        try:
            acs_url = self.idp.choose_acs(sp)
        except ValueError as error:
            return self.reply_json(404, {"error": str(error), "known_sps": self.idp.known_sps()})
        person = {
            "email": email,
            "given_name": query.get("given_name", ""),
            "surname": query.get("surname", ""),
            "groups": split_groups(query.get("groups")),
            "email_claim": query.get("email_claim", ""),
        }
        xml = self.idp.build_response(sp, acs_url, query.get("in_response_to") or None, person,
                                      mode=mode, destination=query.get("destination") or None)
        return self.reply_json(200, {
            "acs_url": acs_url,
            "saml_response": base64.b64encode(xml.encode("utf-8")).decode("ascii"),
            "relay_state": query.get("relay_state", ""),
        })


# ----------------------------------------------------------------------------------------


def exit_with(parent, directory):
    """Ends this process once `parent` (the test process that started it) has gone: this
    process is then handed to another parent. Removes the key directory first."""
    while os.getppid() == parent:
        time.sleep(0.5)
    shutil.rmtree(directory, ignore_errors=True)
    os._exit(0)


def main():
    parser = argparse.ArgumentParser(description="SAML 2.0 identity provider for end-to-end tests")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--parent-pid", type=int, help="exit when this process has gone")
    parser.add_argument("--sp-metadata-url", action="append", default=[],
                        help="an SP's metadata URL, read before each SSO request (repeatable)")
    parser.add_argument("--sp-metadata-file", action="append", default=[],
                        help="an SP's metadata file, read before each SSO request (repeatable)")
    parser.add_argument("--no-sign-response", action="store_true",
                        help="do not sign the Response element (the Assertion still is)")
    parser.add_argument("--no-sign-assertion", action="store_true",
                        help="do not sign the Assertion element (the Response still is)")
    args = parser.parse_args()

    # Listen first: the entity id and URLs carry the port.
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Http)
    port = server.server_port
    base_url = f"http://127.0.0.1:{port}"

    directory = tempfile.mkdtemp(prefix="saml_idp-")
    key_path, cert_path = make_key_and_certificate(directory, "idp", f"chronid test IdP {port}")
    other_key_path, other_cert_path = make_key_and_certificate(directory, "other", "not the test IdP")

    Http.idp = IdentityProvider(
        base_url, key_path, cert_path, other_key_path, other_cert_path,
        args.sp_metadata_url, args.sp_metadata_file,
        sign_response=not args.no_sign_response, sign_assertion=not args.no_sign_assertion,
    )
    Http.idp.refresh_sps()  # what is already there; the rest comes on the first request

    if args.parent_pid:
        threading.Thread(target=exit_with, args=(args.parent_pid, directory), daemon=True).start()

    def on_terminate(signal_number, frame):
        shutil.rmtree(directory, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, on_terminate)
    # The first line of output says where the IdP listens and which certificate it signs with.
    print(json.dumps({
        "port": port,
        "entity_id": Http.idp.entity_id,
        "sso_url": Http.idp.sso_url,
        "certificate_pem": open(cert_path).read(),
    }), flush=True)
    try:
        server.serve_forever()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
