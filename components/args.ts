/**
 * Public argument interfaces of the deployhooks components. Plain interfaces only (no unions, no
 * callbacks), so that Pulumi's component analyzer can expose them to every language: closed sets
 * (roles, failure policies, change classes) are strings validated at construction with an error
 * that names the field.
 */
import type * as pulumi from "@pulumi/pulumi";

// Closed sets as named `as const` objects: TypeScript users write the plain strings ("web"),
// and Pulumi's component analyzer turns each into an enum of the package schema, so other
// languages get typed constants instead of free strings.

/** Role of a host. */
export const HostRole = {
  /** Serves requests; runs every hook of its profile. */
  Web: "web",
  /** Background processes; Upsun workers run only the build hook. */
  Worker: "worker",
} as const;
export type HostRole = (typeof HostRole)[keyof typeof HostRole];

/** What a failing hook does to the deployment. */
export const FailurePolicy = {
  /** The deployment stops; the current release keeps serving. */
  Abort: "abort",
  /** A Pulumi warning names the hook and its exit code; the deployment continues. */
  Warn: "warn",
} as const;
export type FailurePolicy = (typeof FailurePolicy)[keyof typeof FailurePolicy];

/** Where a hook runs among the hosts. */
export const HookRunScope = {
  /** On the leader host only. */
  Once: "once",
  /** On every host whose role the hook serves. */
  EveryHost: "everyHost",
} as const;
export type HookRunScope = (typeof HookRunScope)[keyof typeof HookRunScope];

/** A change class (SPEC §3). */
export const ChangeClassName = {
  /** The source tree. */
  Code: "code",
  /** Everything that shapes the build. */
  Build: "build",
  /** Runtime-only configuration, variables and secrets. */
  Runtime: "runtime",
  /** The redeploy token. */
  Redeploy: "redeploy",
} as const;
export type ChangeClassName = (typeof ChangeClassName)[keyof typeof ChangeClassName];

/** The lifecycle an `Application` follows. */
export const LifecycleProfile = {
  /** Upsun / Platform.sh: build, deploy, postDeploy. */
  Upsun: "upsun",
  /** Clever Cloud: preBuild, postBuild, preRun, runSucceeded, runFailed. */
  CleverCloud: "cleverCloud",
  /** Your own rule rows (`lifecycle`). */
  Custom: "custom",
} as const;
export type LifecycleProfile = (typeof LifecycleProfile)[keyof typeof LifecycleProfile];

/** When a variable is visible. */
export const VariableVisibility = {
  /** At build time only. */
  Build: "build",
  /** At run time only (a change is a runtime change). */
  Runtime: "runtime",
  /** Both. */
  Both: "both",
} as const;
export type VariableVisibility = (typeof VariableVisibility)[keyof typeof VariableVisibility];

/** Where a custom hook runs in a host's deployment. */
export const LifecycleStage = {
  /** Before dependencies and the build command. */
  BeforeBuild: "beforeBuild",
  /** Right after the build step, in the new release. */
  AfterBuild: "afterBuild",
  /** Release built, not serving yet. */
  BeforeActivate: "beforeActivate",
  /** After the `current` switch and the restart. */
  AfterActivate: "afterActivate",
} as const;
export type LifecycleStage = (typeof LifecycleStage)[keyof typeof LifecycleStage];

/** Class of a custom hook's own script. */
export const ScriptPhase = {
  /** A script change is a build change. */
  Build: "build",
  /** A script change is a runtime change. */
  Runtime: "runtime",
} as const;
export type ScriptPhase = (typeof ScriptPhase)[keyof typeof ScriptPhase];

/**
 * How a deployment moves traffic (README "Traffic"). With the built-in supervisor (a start command)
 * every web host gets a front proxy (Caddy, when installed on the host) on the public port; the app
 * listens on a private port (`PORT`) that changes with each activation.
 */
export interface TrafficArgs {
  /**
   * Put the front proxy in front of the app on web hosts that have `caddy` installed (hosts
   * without it fall back to stop-then-start with a warning). `false`: never (stop-then-start).
   * @default true
   */
  proxy?: boolean;
  /**
   * Hold limit: the longest a request waits for the app during an activation; past it the proxy
   * answers 503 with `Retry-After: 5`.
   * @default 60
   */
  holdSeconds?: number;
  /**
   * Longest wait for the old app's in-flight requests before it is stopped.
   * @default 10
   */
  drainSeconds?: number;
  /**
   * Address the proxy binds on each host (`127.0.0.1`: loopback only).
   * @default "" (every interface)
   */
  listenAddress?: string;
  /**
   * Hosts activated at once (a rolling activation in batches of this size, in host order, each
   * gated on its health check; a failing batch stops the rollout).
   * @default 1
   */
  maxUnavailable?: number;
}

/** One SSH hop (the target itself, or its bastion). Mirrors `@pulumi/command`'s connection. */
export interface SshProxyArgs {
  /** Address of the machine (name or IP). */
  host: pulumi.Input<string>;
  /**
   * SSH port.
   * @default 22
   */
  port?: pulumi.Input<number>;
  /**
   * SSH user.
   * @default "root"
   */
  user?: pulumi.Input<string>;
  /**
   * Private key (PEM / OpenSSH). Pass it as a secret (`config.requireSecret`); it is only ever
   * placed in the provider's secret `connection` input.
   * @default undefined (password or the SSH agent)
   */
  privateKey?: pulumi.Input<string>;
  /**
   * Password (also answers keyboard-interactive). Pass it as a secret.
   * @default undefined
   */
  password?: pulumi.Input<string>;
  /**
   * Pinned host key in `authorized_keys` format (`ssh-ed25519 AAAA…`). Strongly recommended:
   * without it the host key is not verified.
   * @default undefined (not verified)
   */
  hostKey?: pulumi.Input<string>;
  /**
   * Seconds one dial attempt may take before it is abandoned (`0`: no limit).
   * @default 15 (the provider's)
   */
  perDialTimeout?: pulumi.Input<number>;
  /**
   * Failed dial attempts tolerated before the step fails (`-1`: unlimited). With the defaults an
   * unreachable host fails after ~3 minutes; `perDialTimeout: 5, dialErrorLimit: 2` after ~15 s.
   * @default 10 (the provider's)
   */
  dialErrorLimit?: pulumi.Input<number>;
}

/** How to reach a host over SSH. */
export interface SshConnectionArgs extends SshProxyArgs {
  /**
   * One bastion hop the connection goes through.
   * @default undefined (direct connection)
   */
  proxy?: SshProxyArgs;
}

/** One machine the app is deployed to. */
export interface HostArgs {
  /**
   * Short name used in resource names (`${name}-${host}-${step}`): letters, digits and `-`.
   * Frozen once deployed (renaming replaces every step of the host).
   */
  name: string;
  /**
   * Roles of the host: `web` (serves requests) and/or `worker` (background processes). Hooks run
   * only on hosts whose role they serve (Upsun workers get only the build hook).
   * @default ["web"]
   */
  roles?: HostRole[];
  /**
   * Runs the `once` hooks (Upsun `deploy`, `postDeploy`). At most one host; must be a web host.
   * @default false (the first web host leads)
   */
  leader?: boolean;
  /**
   * SSH connection. Without it the host is the machine running Pulumi (`local.Command`).
   * @default undefined (the local machine)
   */
  connection?: SshConnectionArgs;
  /**
   * Absolute deployment root on the host; the app lives in `<root>/<appName>/`.
   * @default "/srv/deployhooks" over SSH, "$HOME/.deployhooks/apps" locally
   */
  root?: string;
  /**
   * Base URL of the app on this host, used for the health check and reported in `urls`.
   * @default "http://127.0.0.1:<port>" when `port` is set, else none
   */
  url?: string;
}

/** A hook as written by the user (generic `Application`). */
export interface HookArgs {
  /** camelCase hook name of the profile (`build`, `deploy`, `postDeploy`, `preRun`, …). */
  name: string;
  /** The script, run as one bash script (it fails only if its last command fails, unless it sets `-e`). */
  script: string;
  /**
   * `abort` (stop the deployment) or `warn` (log a warning and continue).
   * @default the profile's rule
   */
  failure?: FailurePolicy;
  /**
   * Timeout in seconds, enforced on the host.
   * @default the profile's rule (Upsun build: 3600; others: none)
   */
  timeoutSeconds?: number;
  /**
   * `once` (leader host only) or `everyHost`.
   * @default the profile's rule
   */
  scope?: HookRunScope;
  /**
   * Roles of the hosts the hook runs on (`web`, `worker`).
   * @default the profile's rule
   */
  roles?: HostRole[];
  /**
   * Change classes that rerun the hook: any of `code`, `build`, `runtime`, `redeploy`.
   * @default the profile's rule
   */
  rerunOn?: ChangeClassName[];
  /**
   * Globs (relative to the source root) restricting the hook's `code` class, e.g. `["migrations/**"]`.
   * @default [] (the whole tree)
   */
  watch?: string[];
  /**
   * The hook blocks requests while it runs (Upsun `deploy`: requests are held by the front proxy and
   * served by the new release afterwards). `false` lets the old release keep serving meanwhile.
   * @default the profile's rule (true for Upsun `deploy`, else false)
   */
  blocksRequests?: boolean;
}

/** One row of a custom lifecycle (profile `custom`). */
export interface LifecycleHookArgs {
  /** camelCase hook name. */
  name: string;
  /** Change classes that rerun the hook (`code`, `build`, `runtime`, `redeploy`). */
  rerunOn: ChangeClassName[];
  /**
   * `abort` or `warn`.
   * @default "abort"
   */
  failure?: FailurePolicy;
  /**
   * `once` or `everyHost`.
   * @default "everyHost"
   */
  scope?: HookRunScope;
  /**
   * Roles served.
   * @default ["web", "worker"]
   */
  roles?: HostRole[];
  /**
   * Timeout in seconds.
   * @default undefined (none)
   */
  timeoutSeconds?: number;
  /**
   * Class of the hook's own script: `build` or `runtime`.
   * @default "build" for the stages beforeBuild/afterBuild, else "runtime"
   */
  phase?: ScriptPhase;
  /** Where it runs: `beforeBuild`, `afterBuild`, `beforeActivate` or `afterActivate`. */
  stage: LifecycleStage;
}

/** One environment variable. */
export interface VariableArgs {
  /** Shell variable name. */
  name: string;
  /** Value. A secret Output stays secret: it travels on the step's stdin only. */
  value: pulumi.Input<string>;
  /**
   * Never in command text, triggers or plain state; delivered on stdin.
   * @default false
   */
  secret?: boolean;
  /**
   * `build`, `runtime` or `both`.
   * @default "both"
   */
  visibility?: VariableVisibility;
  /**
   * Declares that the variable shapes the build (a change is a `build` change).
   * @default the profile's rule
   */
  buildAffecting?: boolean;
}

/** Arguments of `Application`: a profile plus hooks, deployed to hosts. */
export interface ApplicationArgs {
  /** `upsun`, `cleverCloud` or `custom` (give `lifecycle`). */
  profile: LifecycleProfile;
  /**
   * App name on the hosts (`<root>/<appName>`).
   * @default the component's name
   */
  appName?: string;
  /**
   * Source directory of the app (fingerprinted and shipped as one tarball per code fingerprint).
   * @default "." (the Pulumi program's working directory)
   */
  source?: string;
  /**
   * The hooks.
   * @default []
   */
  hooks?: HookArgs[];
  /**
   * Custom profile only: the lifecycle rows, in order.
   * @default undefined
   */
  lifecycle?: LifecycleHookArgs[];
  /**
   * Environment variables.
   * @default []
   */
  variables?: VariableArgs[];
  /**
   * Other platform configuration keys, classified into `build`/`runtime` by the profile (custom
   * profile: keys under `runtime` are runtime, every other key is build).
   * @default {}
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form platform configuration; the component analyzer maps `any` to a JSON value
  config?: { [key: string]: any };
  /**
   * Build command (dependencies + build), run in the new release before the build-phase hooks of stage afterBuild.
   * @default "" (nothing)
   */
  buildCommand?: string;
  /**
   * Command that starts the app (run in `current`, restarted on every activation).
   * @default "" (no process is managed)
   */
  start?: string;
  /**
   * Port the app listens on; exported as `PORT` and used for the default health check URL.
   * @default undefined
   */
  port?: number;
  /**
   * Path probed after activation (HTTP 2xx/3xx = healthy).
   * @default "/" when `port` or a host `url` is set
   */
  healthCheckPath?: string;
  /**
   * Seconds the health check keeps retrying.
   * @default 30
   */
  healthCheckTimeoutSeconds?: number;
  /**
   * Writable paths inside the app (Upsun mounts), kept in `shared/` across releases.
   * @default []
   */
  mounts?: string[];
  /**
   * The hosts. None: the local machine.
   * @default [{ name: "local" }]
   */
  hosts?: HostArgs[];
  /**
   * Command that (re)starts the app on activation instead of the built-in supervisor, e.g.
   * `sudo systemctl restart shop` (systemd then restarts a crashed app). Runs in `current` with the
   * runtime variables; a change is a runtime change.
   * @default "" (the built-in supervisor runs the start command)
   */
  restartCommand?: string;
  /**
   * Traffic during activations: front proxy, hold limit, drain, rolling batch size.
   * @default {} (proxy on, 60 s hold, 10 s drain, one host at a time)
   */
  traffic?: TrafficArgs;
  /**
   * Opaque token: change it to redeploy with nothing else changed.
   * @default ""
   */
  redeployToken?: string;
  /**
   * Local directory for the release tarballs (one per code fingerprint) and stat caches. Must be
   * private: owned by the deploying user, writable by nobody else (created with mode 0700);
   * otherwise the deployment is refused.
   * @default "$XDG_CACHE_HOME/deployhooks/artifacts" (else "~/.cache/deployhooks/artifacts")
   */
  artifactDir?: string;
  /**
   * Releases kept on each host, the new one included (the oldest beyond are pruned after a
   * successful activation; 0 = never prune). Pruning never removes the release `current` points
   * to, the one it replaced, or the last confirmed activation (the rollback target). Deploying the
   * code and build settings of a kept release again (a revert) re-activates it without an upload
   * or a build.
   * @default 5
   */
  keepReleases?: number;
}

/** Upsun `hooks`: the three scripts, as in `.upsun/config.yaml`. */
export interface UpsunHooksArgs {
  /**
   * `hooks.build`: every host (web and worker), build-visible variables, abort on failure, 1 h timeout.
   * @default undefined
   */
  build?: string;
  /**
   * `hooks.deploy`: once on the leader web host before the switch; reruns on code/build changes.
   * @default undefined
   */
  deploy?: string;
  /**
   * `hooks.post_deploy`: once on the leader after the switch; reruns on every deployment.
   * @default undefined
   */
  postDeploy?: string;
}

/** Upsun `web.commands`. */
export interface UpsunWebCommandsArgs {
  /**
   * `web.commands.start`: starts the app.
   * @default "" (no process is managed)
   */
  start?: string;
}

/** Upsun `web`. */
export interface UpsunWebArgs {
  /**
   * `web.commands`.
   * @default {}
   */
  commands?: UpsunWebCommandsArgs;
}

/** One Upsun mount (`mounts.<path>`). */
export interface UpsunMountArgs {
  /**
   * `source` (`storage`, `local`, …): informational on your own hosts (always a `shared/` dir).
   * @default "storage"
   */
  source?: string;
  /**
   * `source_path`.
   * @default the mount path
   */
  sourcePath?: string;
}

/**
 * One endpoint of an Upsun relationship, as your own hosts reach the service. It becomes one entry of
 * `PLATFORM_RELATIONSHIPS` (base64 JSON, the platform's keys) and the service variables
 * `<NAME>_HOST`, `<NAME>_PORT`, `<NAME>_PASSWORD`, `<NAME>_URL`, ….
 */
export interface RelationshipEndpointArgs {
  /** Host name or address of the service. */
  host: string;
  /** Port of the service. */
  port: number;
  /**
   * URL scheme (`mysql`, `pgsql`, `redis`, …).
   * @default ""
   */
  scheme?: string;
  /**
   * User name.
   * @default ""
   */
  username?: string;
  /**
   * Password. Pass it as a secret: when any endpoint declares a password, `PLATFORM_RELATIONSHIPS`,
   * `<NAME>_PASSWORD` and `<NAME>_URL` are secret variables (stdin only, never in command text).
   * @default undefined (`""`, and the relationship variables are not secret)
   */
  password?: pulumi.Input<string>;
  /**
   * Path (the database name for SQL services).
   * @default ""
   */
  path?: string;
  /**
   * `query` object of the endpoint (e.g. `{ is_master: true }`).
   * @default {}
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON object copied into PLATFORM_RELATIONSHIPS
  query?: { [key: string]: any };
  /**
   * `service` name.
   * @default the service of `relationships.<name>` in the configuration, else the relationship name
   */
  service?: string;
  /**
   * `rel` (the endpoint name).
   * @default the endpoint of `relationships.<name>` in the configuration, else the scheme
   */
  rel?: string;
  /**
   * `type` of the service (`mariadb:10.6`).
   * @default ""
   */
  type?: string;
}

/** One route of `PLATFORM_ROUTES`, keyed by its resolved URL (`https://www.example.com/`). */
export interface UpsunRouteArgs {
  /**
   * `upstream` or `redirect`.
   * @default "upstream"
   */
  type?: string;
  /**
   * Upstream app of an `upstream` route.
   * @default the app name
   */
  upstream?: string;
  /**
   * Target of a `redirect` route.
   * @default ""
   */
  to?: string;
  /**
   * Route `id` (what `.environment` scripts select with jq).
   * @default null
   */
  id?: string;
  /**
   * The primary route.
   * @default false
   */
  primary?: boolean;
  /**
   * `original_url` (`https://{default}/`).
   * @default the URL
   */
  originalUrl?: string;
}

/** Identity of the Upsun environment the app believes it runs in. */
export interface UpsunPlatformArgs {
  /**
   * `PLATFORM_PROJECT` (build and runtime).
   * @default the app name
   */
  project?: string;
  /**
   * `PLATFORM_BRANCH` (runtime).
   * @default "main"
   */
  branch?: string;
  /**
   * `PLATFORM_ENVIRONMENT` (runtime).
   * @default the branch
   */
  environment?: string;
  /**
   * `PLATFORM_ENVIRONMENT_TYPE` (runtime): `production`, `staging` or `development`.
   * @default "production"
   */
  environmentType?: string;
  /**
   * `PLATFORM_SMTP_HOST` (runtime).
   * @default "" (Upsun's value when mail is disabled)
   */
  smtpHost?: string;
  /**
   * `PLATFORM_PROJECT_ENTROPY` (build and runtime), a stable random string apps use as a secret key.
   * Pass it as a secret; it travels on stdin only.
   * @default undefined (not set)
   */
  projectEntropy?: pulumi.Input<string>;
}

/** Arguments of `UpsunApp`: what an Upsun / Platform.sh user writes, deployed to your hosts. */
export interface UpsunAppArgs {
  /**
   * App name (`name` in the Upsun config).
   * @default the component's name
   */
  appName?: string;
  /**
   * Source directory of the app (`source.root` resolved).
   * @default "."
   */
  source?: string;
  /**
   * `type`, e.g. `nodejs:20` (a `build` input).
   * @default undefined
   */
  type?: string;
  /**
   * `hooks`.
   * @default {}
   */
  hooks?: UpsunHooksArgs;
  /**
   * `variables.env`: build-visible variables (a change is a `build` change).
   * @default {}
   */
  variables?: { [name: string]: pulumi.Input<string> };
  /**
   * Runtime-only variables (Upsun project/environment variables not visible at build); a change
   * is a `runtime` change (only postDeploy and the restart run).
   * @default {}
   */
  runtimeVariables?: { [name: string]: pulumi.Input<string> };
  /**
   * Sensitive runtime variables: delivered on stdin, never in command text or triggers.
   * @default {}
   */
  secrets?: { [name: string]: pulumi.Input<string> };
  /**
   * `web` (`web.commands.start`).
   * @default {}
   */
  web?: UpsunWebArgs;
  /**
   * `mounts`: writable paths kept across releases.
   * @default {}
   */
  mounts?: { [path: string]: UpsunMountArgs };
  /**
   * Other keys of the app configuration (`build`, `dependencies`, `crons`, `relationships`, …),
   * classified by Upsun's own rule (SPEC §3).
   * @default {}
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form platform configuration; the component analyzer maps `any` to a JSON value
  config?: { [key: string]: any };
  /**
   * Dependencies / build-flavor command run before `hooks.build`.
   * @default "" (nothing)
   */
  buildCommand?: string;
  /**
   * Port the app listens on (`PORT`).
   * @default undefined
   */
  port?: number;
  /**
   * Path probed after activation.
   * @default "/" when `port` or a host `url` is set
   */
  healthCheckPath?: string;
  /**
   * Endpoints of the app's relationships, by relationship name: `PLATFORM_RELATIONSHIPS` and the
   * service variables (`DATABASE_HOST`, …) at runtime. A `runtime` input.
   * @default {} (`PLATFORM_RELATIONSHIPS` is `e30=`, the base64 of `{}`)
   */
  relationships?: { [name: string]: RelationshipEndpointArgs };
  /**
   * Routes by resolved URL: `PLATFORM_ROUTES` at runtime. A `runtime` input.
   * @default {}
   */
  routes?: { [url: string]: UpsunRouteArgs };
  /**
   * The environment's identity: `PLATFORM_PROJECT`, `PLATFORM_BRANCH`, `PLATFORM_ENVIRONMENT`,
   * `PLATFORM_ENVIRONMENT_TYPE`, `PLATFORM_SMTP_HOST`, `PLATFORM_PROJECT_ENTROPY`.
   * @default {}
   */
  platform?: UpsunPlatformArgs;
  /**
   * Hosts; none = the local machine.
   * @default [{ name: "local" }]
   */
  hosts?: HostArgs[];
  /**
   * Command that (re)starts the app on activation instead of the built-in supervisor, e.g.
   * `sudo systemctl restart shop` (systemd then restarts a crashed app). Runs in `current` with the
   * runtime variables; a change is a runtime change.
   * @default "" (the built-in supervisor runs the start command)
   */
  restartCommand?: string;
  /**
   * Traffic during activations: front proxy, hold limit, drain, rolling batch size.
   * @default {} (proxy on, 60 s hold, 10 s drain, one host at a time)
   */
  traffic?: TrafficArgs;
  /**
   * Change to redeploy (runs postDeploy and the restart only).
   * @default ""
   */
  redeployToken?: string;
  /**
   * Local directory for release tarballs; private to the deploying user (see `ApplicationArgs`).
   * @default "$XDG_CACHE_HOME/deployhooks/artifacts" (else "~/.cache/deployhooks/artifacts")
   */
  artifactDir?: string;
  /**
   * Releases kept on each host, the new one included (the oldest beyond are pruned after a
   * successful activation; 0 = never prune). Pruning never removes the release `current` points
   * to, the one it replaced, or the last confirmed activation (the rollback target). Deploying the
   * code and build settings of a kept release again (a revert) re-activates it without an upload
   * or a build.
   * @default 5
   */
  keepReleases?: number;
}

/** Arguments of `CleverCloudApp`: Clever Cloud's environment variables, deployed to your hosts. */
export interface CleverCloudAppArgs {
  /**
   * App name on the hosts.
   * @default the component's name
   */
  appName?: string;
  /**
   * Source directory (`APP_FOLDER` resolved).
   * @default "."
   */
  source?: string;
  /**
   * `CC_PRE_BUILD_HOOK`: before dependencies, every deployment, abort.
   * @default undefined
   */
  CC_PRE_BUILD_HOOK?: string;
  /**
   * `CC_POST_BUILD_HOOK`: after the build, not on deployments from cache, abort.
   * @default undefined
   */
  CC_POST_BUILD_HOOK?: string;
  /**
   * `CC_PRE_RUN_HOOK`: before start, every deployment, abort.
   * @default undefined
   */
  CC_PRE_RUN_HOOK?: string;
  /**
   * `CC_RUN_SUCCEEDED_HOOK`: after a healthy start, warn.
   * @default undefined
   */
  CC_RUN_SUCCEEDED_HOOK?: string;
  /**
   * `CC_RUN_FAILED_HOOK`: after a failed start, warn (the deployment still fails).
   * @default undefined
   */
  CC_RUN_FAILED_HOOK?: string;
  /**
   * `CC_RUN_COMMAND`: starts the app.
   * @default "" (no process is managed)
   */
  CC_RUN_COMMAND?: string;
  /**
   * `CC_BUILD_COMMAND`: the build command.
   * @default "" (nothing)
   */
  CC_BUILD_COMMAND?: string;
  /**
   * `CC_HEALTH_CHECK_PATH`: path probed after start.
   * @default "/"
   */
  CC_HEALTH_CHECK_PATH?: string;
  /**
   * The app's environment, as in the console or an env file. `CC_*_HOOK`, `CC_RUN_COMMAND`,
   * `CC_BUILD_COMMAND` and `CC_HEALTH_CHECK_PATH` entries act like the fields above (a field wins);
   * every other entry is a variable (`build` class when Clever Cloud says it shapes the build).
   * @default {}
   */
  environment?: { [name: string]: pulumi.Input<string> };
  /**
   * Secret variables: delivered on stdin, never in command text or triggers.
   * @default {}
   */
  secrets?: { [name: string]: pulumi.Input<string> };
  /**
   * Clever Cloud application type (`clever create --type`) whose build runs before
   * `CC_BUILD_COMMAND`: `node` (dependency install with `CC_NODE_BUILD_TOOL` npm/npm-ci/yarn/
   * yarn-berry/pnpm/bun/custom or the lock file's tool, `CC_NODE_DEV_DEPENDENCIES`,
   * `CC_CACHE_DEPENDENCIES`; start: `CC_RUN_COMMAND`, else `npm start` with a `scripts.start`, else
   * `node <main>`) or `php` (`composer install` with `CC_PHP_COMPOSER_FLAGS`,
   * `CC_PHP_DEV_DEPENDENCIES`, `CC_CACHE_DEPENDENCIES`). The tools are the host's. A `build` input.
   * @default undefined (no dependency install: only `CC_BUILD_COMMAND`)
   */
  type?: string;
  /**
   * Docker application: only `CC_RUN_SUCCEEDED_HOOK` is accepted.
   * @default false
   */
  docker?: boolean;
  /**
   * Port the app listens on (`PORT`).
   * @default 8080
   */
  port?: number;
  /**
   * Hosts; none = the local machine.
   * @default [{ name: "local" }]
   */
  hosts?: HostArgs[];
  /**
   * Command that (re)starts the app on activation instead of the built-in supervisor, e.g.
   * `sudo systemctl restart shop` (systemd then restarts a crashed app). Runs in `current` with the
   * runtime variables; a change is a runtime change.
   * @default "" (the built-in supervisor runs the start command)
   */
  restartCommand?: string;
  /**
   * Traffic during activations: front proxy, hold limit, drain, rolling batch size.
   * @default {} (proxy on, 60 s hold, 10 s drain, one host at a time)
   */
  traffic?: TrafficArgs;
  /**
   * Change to redeploy.
   * @default ""
   */
  redeployToken?: string;
  /**
   * Local directory for release tarballs; private to the deploying user (see `ApplicationArgs`).
   * @default "$XDG_CACHE_HOME/deployhooks/artifacts" (else "~/.cache/deployhooks/artifacts")
   */
  artifactDir?: string;
  /**
   * Releases kept on each host, the new one included (the oldest beyond are pruned after a
   * successful activation; 0 = never prune). Pruning never removes the release `current` points
   * to, the one it replaced, or the last confirmed activation (the rollback target). Deploying the
   * code and build settings of a kept release again (a revert) re-activates it without an upload
   * or a build.
   * @default 5
   */
  keepReleases?: number;
}
