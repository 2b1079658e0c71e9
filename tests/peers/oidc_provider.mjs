// The OpenID Connect provider of the Google login tests: panva's oidc-provider (a certified
// implementation) with one static client, PKCE required, and the email claims in the ID token.
// Its development login and consent pages take any login; the login is the account: its `sub`,
// and its email, verified unless the login starts with "unverified".
//
//   node oidc_provider.mjs --client-id ID --client-secret SECRET --redirect-uri URL [--port N]
//       [--parent-pid PID]
//
// Prints one JSON line when it listens: {"port", "issuer"}. Ends when its parent process does.

import http from 'node:http';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

function args(argv) {
  const out = { redirectUris: [], port: 0 };
  for (let i = 2; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--client-id') out.clientId = value;
    else if (name === '--client-secret') out.clientSecret = value;
    else if (name === '--redirect-uri') out.redirectUris.push(value);
    else if (name === '--port') out.port = Number(value);
    else if (name === '--parent-pid') out.parentPid = Number(value);
    else throw new Error(`unknown argument ${name}`);
  }
  if (!out.clientId || !out.clientSecret || out.redirectUris.length === 0) {
    throw new Error('--client-id, --client-secret and --redirect-uri are required');
  }
  return out;
}

const options = args(process.argv);

// The port first: the issuer URL names it.
const server = http.createServer();
await new Promise((resolve) => server.listen(options.port, '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signing = { ...(await exportJWK(privateKey)), kid: `test-${port}`, alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: options.clientId,
    client_secret: options.clientSecret,
    redirect_uris: options.redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  // PKCE for every client, S256 only.
  pkce: { required: () => true },
  // The email claims go into the ID token itself, as Google's do.
  conformIdTokenClaims: false,
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, email: sub, email_verified: !sub.startsWith('unverified') };
      },
    };
  },
  jwks: { keys: [signing] },
  cookies: { keys: [Math.random().toString(36).slice(2) + Date.now()] },
  features: { devInteractions: { enabled: true } },
});
// Quiet: the tests read stdout for the listening line only.
provider.on('server_error', (ctx, error) => console.error('oidc_provider: server error', error));

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ port, issuer })}\n`);

// Ends when the test process that started it has gone.
const parent = options.parentPid || process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    process.exit(0);
  }
}, 500);
