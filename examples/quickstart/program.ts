/**
 * The quickstart program as a function, so the test runner (`deployhooks/testing` runProgram) and
 * `npm run demo` can run it without the Pulumi CLI. `index.ts` is the Pulumi entry that calls it.
 * It imports the library from the repository sources so it runs from a fresh clone.
 */
import * as path from "path";
import { UpsunApp } from "../../components";

/** What the quickstart can be told. */
export interface QuickstartConfig {
  /** Component name (and app directory name). Default `quickstart`. */
  name?: string;
  /** Port the app listens on (127.0.0.1). Default 8780. */
  port?: number;
  /** A runtime-only variable: changing it reruns only postDeploy (plus the restart and health check). */
  greeting?: string;
  /** Deployment root on this machine. Default `$HOME/.deployhooks/apps`. */
  root?: string;
  /** Where release tarballs are written. Default `~/.cache/deployhooks/artifacts` (private to the user). */
  artifactDir?: string;
  /** Change it to redeploy with nothing else changed. */
  redeployToken?: string;
  /** Source directory. Default: `app/` next to this file. */
  source?: string;
}

/** Deploys the quickstart app to the local machine with Upsun's build/deploy/postDeploy hooks. */
export function quickstart(config: QuickstartConfig = {}) {
  const app = new UpsunApp(config.name ?? "quickstart", {
    source: config.source ?? path.join(__dirname, "app"),
    type: "nodejs:20",
    hooks: {
      build:
        'set -e\nmkdir -p public\necho "built at $(date -u +%FT%TZ) for $PLATFORM_APPLICATION_NAME" > public/build.txt\n',
      deploy:
        'echo "deploy hook: release $APP_RELEASE_ID (migrations would run here)" | tee -a data/deploy.log\n',
      postDeploy:
        "echo \"post-deploy hook: greeting is now '$GREETING'\" | tee -a data/post-deploy.log\n",
    },
    variables: { NODE_ENV: "production" },
    runtimeVariables: { GREETING: config.greeting ?? "hello" },
    web: { commands: { start: "node server.js" } },
    mounts: { data: { source: "storage" } },
    port: config.port ?? 8780,
    ...(config.redeployToken !== undefined ? { redeployToken: config.redeployToken } : {}),
    ...(config.artifactDir !== undefined ? { artifactDir: config.artifactDir } : {}),
    hosts: [{ name: "local", ...(config.root !== undefined ? { root: config.root } : {}) }],
  });
  return {
    releaseId: app.releaseId,
    fingerprints: app.fingerprints,
    urls: app.urls,
    health: app.health,
    steps: app.steps,
  };
}
