/**
 * Every whole configuration file of the shared corpus (and the Clever Cloud env/CLI snippets) loads
 * to exactly these apps and hooks, or fails with exactly this ConfigError.
 * Hooks are written `name=originKey@line` (origin in the loaded file) or
 * `name=originKey@other/file:line` (origin file relative to the loaded file's directory).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadConfig, LoaderProfile } from "../../loaders";
import type { AppSpec } from "../../model/app";
import { ConfigError, isConfigError } from "../../model/configError";

const CORPUS = path.resolve(__dirname, "../../../shared/corpus");

interface Row {
  file: string;
  profile?: LoaderProfile;
  expect: LoaderProfile;
  files: number;
  apps: { name: string; root: string; hooks: string[]; vars: string[] }[];
}

const TABLE: Row[] = [
  {
    file: "clevercloud-snippets/CleverCloud__documentation__content__doc__develop__build-hooks.md.L42-42.extract.env",
    expect: "cleverCloud",
    files: 1,
    apps: [{ name: "app", root: ".", hooks: ["postBuild=CC_POST_BUILD_HOOK@1"], vars: [] }],
  },
  {
    file: "clevercloud-snippets/CleverCloud__documentation__content__doc__develop__varnish.md.L62-62.extract.env",
    expect: "cleverCloud",
    files: 1,
    apps: [{ name: "app", root: ".", hooks: ["preBuild=CC_PRE_BUILD_HOOK@1"], vars: [] }],
  },
  {
    file: "clevercloud-snippets/CleverCloud__documentation__content__guides__docs.md.L128-134.extract.env",
    expect: "cleverCloud",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["preBuild=CC_PRE_BUILD_HOOK@3"],
        vars: [
          "APP_FOLDER",
          "CC_NODE_BUILD_TOOL",
          "CC_RUN_COMMAND",
          "NEXT_PUBLIC_API_BASE_PATH",
          "NEXT_PUBLIC_SW_DEACTIVATED",
          "NODE_OPTIONS",
        ],
      },
    ],
  },
  {
    file: "clevercloud-snippets/CleverCloud__documentation__content__guides__docs.md.L65-75.extract.env",
    expect: "cleverCloud",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["preBuild=CC_PRE_BUILD_HOOK@2", "runSucceeded=CC_RUN_SUCCEEDED_HOOK@6"],
        vars: [
          "APP_FOLDER",
          "CC_PYTHON_MODULE",
          "CC_PYTHON_VERSION",
          "DATA_DIR",
          "DJANGO_CONFIGURATION",
          "DJANGO_SECRET_KEY",
          "DJANGO_SETTINGS_MODULE",
          "DJANGO_SUPERUSER_PASSWORD",
        ],
      },
    ],
  },
  {
    file: "clevercloud-snippets/DoctorC137__NextCloud-on-CleverCloud__README.md.L174-187.extract.sh",
    profile: "cleverCloud",
    expect: "cleverCloud",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: [
          "postBuild=CC_POST_BUILD_HOOK@6",
          "preRun=CC_PRE_RUN_HOOK@7",
          "runSucceeded=CC_RUN_SUCCEEDED_HOOK@8",
        ],
        vars: [
          "CC_PHP_VERSION",
          "CC_PHP_MEMORY_LIMIT",
          "CC_PHP_EXTENSIONS",
          "CC_WEBROOT",
          "ENABLE_REDIS",
          "SESSION_TYPE",
          "NEXTCLOUD_DOMAIN",
          "NEXTCLOUD_ADMIN_USER",
          "NEXTCLOUD_ADMIN_PASSWORD",
        ],
      },
    ],
  },
  {
    file: "clevercloud-snippets/monsieurbiz__clevercloud-backup__README.md.L63-66.extract.sh",
    profile: "cleverCloud",
    expect: "cleverCloud",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["preRun=CC_PRE_RUN_HOOK@1"],
        vars: ["CC_RUN_COMMAND", "CC_TASK", "KOPIA_PASSWORD"],
      },
    ],
  },
  {
    file: "clevercloud-snippets/nuxt__nuxt.com__content__3.deploy__clever-cloud.md.node-bun.extract.env",
    expect: "cleverCloud",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["preBuild=CC_PRE_BUILD_HOOK@3"],
        vars: ["CC_CUSTOM_BUILD_TOOL", "CC_NODE_BUILD_TOOL", "CC_RUN_COMMAND"],
      },
    ],
  },
  {
    file: "clevercloud-snippets/nuxt__nuxt.com__content__3.deploy__clever-cloud.md.static-yarn.extract.env",
    expect: "cleverCloud",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["preBuild=CC_PRE_BUILD_HOOK@4", "postBuild=CC_POST_BUILD_HOOK@5"],
        vars: ["CC_NODE_VERSION", "CC_WEBROOT", "CC_OVERRIDE_BUILDCACHE"],
      },
    ],
  },
  {
    file: "clevercloud-snippets/wey-yu__hello-demo-nuxt__README.md.deploy.extract.sh",
    profile: "cleverCloud",
    expect: "cleverCloud",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["postBuild=CC_POST_BUILD_HOOK@8"],
        vars: ["PORT", "HOST", "ENABLE_METRICS"],
      },
    ],
  },
  {
    file: "clevercloud-snippets/withastro__docs__src__content__docs__en__guides__deploy__clever-cloud.mdx.node-yarn.extract.env",
    expect: "cleverCloud",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["preBuild=CC_PRE_BUILD_HOOK@2"],
        vars: ["CC_NODE_BUILD_TOOL", "CC_RUN_COMMAND"],
      },
    ],
  },
  {
    file: "clevercloud-snippets/withastro__docs__src__content__docs__en__guides__deploy__clever-cloud.mdx.static-npm.extract.env",
    expect: "cleverCloud",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["postBuild=CC_POST_BUILD_HOOK@1", "preBuild=CC_PRE_BUILD_HOOK@2"],
        vars: ["CC_WEBROOT"],
      },
    ],
  },
  {
    file: "repos/Berdir__platformsh-examples/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [{ name: "php", root: ".", hooks: ["deploy=hooks.deploy@48"], vars: [] }],
  },
  {
    file: "repos/Elastic-Suite__gally/.platform/applications.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "api",
        root: "api",
        hooks: [
          "build=hooks.build@76",
          "deploy=hooks.deploy@80",
          "postDeploy=hooks.post_deploy@104",
        ],
        vars: ["APP_ENV", "API_ROUTE_PREFIX", "ELASTICSEARCH_SSL_VERIFICATION"],
      },
      {
        name: "admin",
        root: "front",
        hooks: ["build=hooks.build@163", "deploy=hooks.deploy@173"],
        vars: ["NEXT_PUBLIC_API_ROUTE_PREFIX"],
      },
    ],
  },
  {
    file: "repos/Elastic-Suite__gally/.upsun/config.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "api",
        root: "api",
        hooks: [
          "build=hooks.build@50",
          "deploy=hooks.deploy@54",
          "postDeploy=hooks.post_deploy@78",
        ],
        vars: ["APP_ENV", "API_ROUTE_PREFIX", "ELASTICSEARCH_SSL_VERIFICATION"],
      },
      {
        name: "admin",
        root: "front",
        hooks: ["build=hooks.build@101", "deploy=hooks.deploy@108"],
        vars: ["NEXT_PUBLIC_API_ROUTE_PREFIX"],
      },
    ],
  },
  {
    file: "repos/FlowiseAI__Flowise/.upsun/config.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "flowiseai",
        root: ".",
        hooks: ["build=hooks.build@100", "deploy=hooks.deploy@111"],
        vars: [],
      },
    ],
  },
  {
    file: "repos/GuGuss__django-nextjs/.upsun/applications.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      { name: "django-app", root: ".", hooks: ["build=hooks.build@6"], vars: [] },
      { name: "nextjs-app", root: ".", hooks: ["build=hooks.build@40"], vars: [] },
    ],
  },
  {
    file: "repos/NangoHQ__nango/.platform/applications.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@11", "deploy=hooks.deploy@12"],
        vars: [
          "DATABASE_URL",
          "DASHBOARD_USERNAME",
          "DASHBOARD_PASSWORD",
          "SECRET_KEY",
          "PUBLISHABLE_KEY",
          "PROXY_USES_SECRET_KEY_ONLY",
          "COOKIE_SECRET",
        ],
      },
    ],
  },
  {
    file: "repos/OriPekelman__livebook/.upsun/config.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "livebook",
        root: ".",
        hooks: ["build=hooks.build@99", "deploy=hooks.deploy@106"],
        vars: ["LIVEBOOK_PORT", "LIVEBOOK_PASSWORD"],
      },
    ],
  },
  {
    file: "repos/PostHog__posthog/.platform/applications.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@9", "deploy=hooks.deploy@25"],
        vars: ["DATABASE_URL", "REDIS_URL", "NODE_OPTIONS", "DEPLOYMENT"],
      },
    ],
  },
  {
    file: "repos/Skvare__drupal-civicrm-upsun-template/.upsun/config.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "drupal",
        root: ".",
        hooks: ["build=hooks.build@107", "deploy=hooks.deploy@118"],
        vars: [
          "SKIP_CONFIG_IMPORT",
          "ENABLE_SSL",
          "CIVICRM_CACHING_TYPE",
          "CIVICRM_CRED_KEYS",
          "CIVICRM_SIGN_KEYS",
          "CIVICRM_SITE_KEY",
          "PROJECT_ID",
          "COMPOSER_AUTH",
        ],
      },
    ],
  },
  {
    file: "repos/continuousdemo__clevercloud-demo-zf-apigility-phinx/clevercloud/php.json",
    expect: "cleverCloud",
    files: 1,
    apps: [{ name: "app", root: ".", hooks: ["runSucceeded=hooks.postDeploy@6"], vars: [] }],
  },
  {
    file: "repos/jeremyb__techmeetups/clevercloud/php.json",
    expect: "cleverCloud",
    files: 1,
    apps: [{ name: "app", root: ".", hooks: ["runSucceeded=hooks.postDeploy@6"], vars: [] }],
  },
  {
    file: "repos/juice-shop__juice-shop/.platform/applications.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@25"],
        vars: ["NODE_OPTIONS", "NG_CLI_ANALYTICS"],
      },
    ],
  },
  {
    file: "repos/lando__lando/.platform/.platform.docs.yaml",
    expect: "upsun",
    files: 1,
    apps: [{ name: "docs", root: ".", hooks: ["build=hooks.build@56"], vars: [] }],
  },
  {
    file: "repos/lando__lando/.platform/.platform.metrics.yaml",
    expect: "upsun",
    files: 1,
    apps: [{ name: "metrics", root: ".", hooks: ["build=hooks.build@32"], vars: [] }],
  },
  {
    file: "repos/lando__lando/.platform/applications.yaml",
    expect: "upsun",
    files: 3,
    apps: [
      { name: "docs", root: ".", hooks: ["build=hooks.build@.platform.docs.yaml:56"], vars: [] },
      {
        name: "metrics",
        root: ".",
        hooks: ["build=hooks.build@.platform.metrics.yaml:32"],
        vars: [],
      },
    ],
  },
  {
    file: "repos/nicogommen__symfony-scheduled-scaling/.upsun/app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@42", "deploy=hooks.deploy@52"],
        vars: [],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__akeneo/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "akeneo",
        root: ".",
        hooks: ["build=hooks.build@42", "deploy=hooks.deploy@66"],
        vars: [
          "APP_ENV",
          "APP_DEBUG",
          "APP_DEFAULT_LOCALE",
          "APP_PRODUCT_AND_PRODUCT_MODEL_INDEX_NAME",
          "AKENEO_STARTER",
          "NODE_VERSION",
        ],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__bigfoot-multiapp@multiapp-monolith/.platform/applications.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "api",
        root: "api",
        hooks: ["build=hooks.build@74", "deploy=hooks.deploy@82"],
        vars: ["APP_ENV"],
      },
      {
        name: "admin",
        root: "admin",
        hooks: ["build=hooks.build@190", "postDeploy=hooks.post_deploy@195"],
        vars: ["NODE_OPTIONS"],
      },
      {
        name: "gatsby",
        root: "gatsby",
        hooks: ["build=hooks.build@273", "postDeploy=hooks.post_deploy@278"],
        vars: ["NODE_OPTIONS"],
      },
      {
        name: "mercure",
        root: "mercure/.config",
        hooks: ["build=hooks.build@361"],
        vars: [
          "MERCUREVERSION",
          "SERVER_NAME",
          "MERCURE_TRANSPORT_URL",
          "MERCURE_EXTRA_DIRECTIVES",
          "GLOBAL_OPTIONS",
          "MERCURE_PUBLISHER_JWT_KEY",
          "MERCURE_SUBSCRIBER_JWT_KEY",
        ],
      },
      { name: "update-submodule", root: ".", hooks: [], vars: [] },
    ],
  },
  {
    file: "repos/platformsh-templates__bigfoot-multiapp@multiapp-upsun/.upsun/config.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "api",
        root: "api",
        hooks: ["build=hooks.build@87", "deploy=hooks.deploy@92"],
        vars: ["APP_ENV"],
      },
      {
        name: "admin",
        root: "admin",
        hooks: ["build=hooks.build@169", "postDeploy=hooks.post_deploy@173"],
        vars: ["NODE_OPTIONS"],
      },
      {
        name: "gatsby",
        root: "gatsby",
        hooks: ["build=hooks.build@217", "postDeploy=hooks.post_deploy@221"],
        vars: ["NODE_OPTIONS"],
      },
      {
        name: "mercure",
        root: "mercure/.config",
        hooks: ["build=hooks.build@276"],
        vars: [
          "MERCUREVERSION",
          "SERVER_NAME",
          "MERCURE_TRANSPORT_URL",
          "MERCURE_EXTRA_DIRECTIVES",
          "GLOBAL_OPTIONS",
          "MERCURE_PUBLISHER_JWT_KEY",
          "MERCURE_SUBSCRIBER_JWT_KEY",
        ],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__django4/.platform/applications.yaml",
    expect: "upsun",
    files: 2,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@pip.app.yaml:70", "deploy=hooks.deploy@pip.app.yaml:84"],
        vars: [],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__django4/.platform/pip.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@70", "deploy=hooks.deploy@84"],
        vars: [],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__django4/.platform/poetry.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@76", "deploy=hooks.deploy@99"],
        vars: ["POETRY_VIRTUALENVS_IN_PROJECT", "POETRY_VIRTUALENVS_CREATE"],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__drupal11/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "drupal",
        root: ".",
        hooks: ["build=hooks.build@164", "deploy=hooks.deploy@170"],
        vars: [],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__drupal9/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "drupal",
        root: ".",
        hooks: ["build=hooks.build@75", "deploy=hooks.deploy@81"],
        vars: [],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__express/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [{ name: "app", root: ".", hooks: [], vars: [] }],
  },
  {
    file: "repos/platformsh-templates__gatsby-drupal/client/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "gatsby",
        root: ".",
        hooks: ["postDeploy=hooks.post_deploy@23"],
        vars: ["NODE_OPTIONS", "GENERATED_VARS"],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__golang/.platform/applications.yaml",
    expect: "upsun",
    files: 1,
    apps: [{ name: "app", root: ".", hooks: ["build=hooks.build@12"], vars: [] }],
  },
  {
    file: "repos/platformsh-templates__golang/.upsun/config.yaml",
    expect: "upsun",
    files: 1,
    apps: [{ name: "app", root: ".", hooks: ["build=hooks.build@7"], vars: [] }],
  },
  {
    file: "repos/platformsh-templates__laravel/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@28", "deploy=hooks.deploy@40"],
        vars: ["N_PREFIX"],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__magentoCE24/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: [
          "build=hooks.build@94",
          "deploy=hooks.deploy@113",
          "postDeploy=hooks.post_deploy@115",
        ],
        vars: [
          "NVM_VERSION",
          "NODE_VERSION",
          "MAGENTO_DC_INDEXER__USE_APPLICATION_LOCK",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOGINVENTORY_STOCK__SIMPLE",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOG_CATEGORY_PRODUCT",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOGSEARCH_FULLTEXT__PARTIAL_REINDEX",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOGSEARCH_FULLTEXT__MYSQL_GET",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOGSEARCH_FULLTEXT__ELASTIC_SAVE",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOG_PRODUCT_PRICE__SIMPLE",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOG_PRODUCT_PRICE__DEFAULT",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOG_PRODUCT_PRICE__CONFIGURABLE",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOGPERMISSIONS_CATEGORY",
          "MAGENTO_INDEXER_BATCH_SIZE__INVENTORY__SIMPLE",
          "MAGENTO_INDEXER_BATCH_SIZE__INVENTORY__DEFAULT",
          "MAGENTO_INDEXER_BATCH_SIZE__INVENTORY__CONFIGURABLE",
        ],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__magentoCE24/.upsun/config.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: [
          "build=hooks.build@83",
          "deploy=hooks.deploy@102",
          "postDeploy=hooks.post_deploy@104",
        ],
        vars: [
          "NVM_VERSION",
          "NODE_VERSION",
          "MAGENTO_DC_INDEXER__USE_APPLICATION_LOCK",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOGINVENTORY_STOCK__SIMPLE",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOG_CATEGORY_PRODUCT",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOGSEARCH_FULLTEXT__PARTIAL_REINDEX",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOGSEARCH_FULLTEXT__MYSQL_GET",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOGSEARCH_FULLTEXT__ELASTIC_SAVE",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOG_PRODUCT_PRICE__SIMPLE",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOG_PRODUCT_PRICE__DEFAULT",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOG_PRODUCT_PRICE__CONFIGURABLE",
          "MAGENTO_INDEXER_BATCH_SIZE__CATALOGPERMISSIONS_CATEGORY",
          "MAGENTO_INDEXER_BATCH_SIZE__INVENTORY__SIMPLE",
          "MAGENTO_INDEXER_BATCH_SIZE__INVENTORY__DEFAULT",
          "MAGENTO_INDEXER_BATCH_SIZE__INVENTORY__CONFIGURABLE",
        ],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__nextjs-drupal/client/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "nextjs",
        root: ".",
        hooks: ["build=hooks.build@26", "postDeploy=hooks.post_deploy@34"],
        vars: ["NODE_OPTIONS", "GENERATED_VARS"],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__nextjs/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@49", "deploy=hooks.deploy@58"],
        vars: [],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__rails/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@60", "deploy=hooks.deploy@99"],
        vars: [
          "BUNDLE_CACHE_ALL",
          "BUNDLE_CLEAN",
          "BUNDLE_DEPLOYMENT",
          "BUNDLE_ERROR_ON_STDERR",
          "BUNDLE_WITHOUT",
          "DEFAULT_BUNDLER_VERSION",
          "EXECJS_RUNTIME",
          "NODE_ENV",
          "NODE_VERSION",
          "NVM_VERSION",
          "RACK_ENV",
          "RAILS_ENV",
          "RAILS_LOG_TO_STDOUT",
          "RAILS_TMP",
        ],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__strapi4/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [{ name: "app", root: ".", hooks: ["build=hooks.build@84"], vars: ["NODE_ENV"] }],
  },
  {
    file: "repos/platformsh-templates__symfony5/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@25", "deploy=hooks.deploy@29"],
        vars: ["APP_ENV", "APP_DEBUG"],
      },
    ],
  },
  {
    file: "repos/platformsh-templates__wordpress-composer/.platform.app.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@30", "deploy=hooks.deploy@38"],
        vars: [],
      },
    ],
  },
  {
    file: "repos/platformsh__language-examples/.platform/applications.yaml",
    expect: "upsun",
    files: 1,
    apps: [{ name: "main", root: "main", hooks: ["build=hooks.build@11"], vars: [] }],
  },
  {
    file: "repos/shopware__recipes/shopware/paas-meta/6.4/.platform/applications.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: ["build=hooks.build@52", "deploy=hooks.deploy@97"],
        vars: [
          "APP_ENV",
          "INSTANCE_ID",
          "SHOPWARE_HTTP_CACHE_ENABLED",
          "NVM_VERSION",
          "NODE_VERSION",
          "DISABLE_ADMIN_COMPILATION_TYPECHECK",
          "SHOPWARE_ADMIN_BUILD_ONLY_EXTENSIONS",
          "SHOPWARE_ES_ENABLED",
          "SHOPWARE_ES_INDEXING_ENABLED",
          "SHOPWARE_ES_INDEX_PREFIX",
          "SHOPWARE_SKIP_WEBINSTALLER",
        ],
      },
    ],
  },
  {
    file: "repos/shopware__recipes/shopware/paas-meta/6.6/.platform/applications.yaml",
    expect: "upsun",
    files: 1,
    apps: [
      {
        name: "app",
        root: ".",
        hooks: [
          "build=hooks.build@48",
          "deploy=hooks.deploy@73",
          "postDeploy=hooks.post_deploy@100",
        ],
        vars: [
          "APP_ENV",
          "SHOPWARE_HTTP_CACHE_ENABLED",
          "NODE_VERSION",
          "SHOPWARE_CLI_VERSION",
          "SHOPWARE_ES_ENABLED",
          "SHOPWARE_ES_INDEXING_ENABLED",
          "SHOPWARE_ES_INDEX_PREFIX",
          "SHOPWARE_SKIP_WEBINSTALLER",
          "COMPOSER_ROOT_VERSION",
          "APP_LOG_DIR",
        ],
      },
    ],
  },
];

function summary(file: string, cfg: ReturnType<typeof loadConfig>) {
  return cfg.apps.map((a) => ({
    name: a.name,
    root: a.sourceRoot,
    hooks: a.hooks.map(
      (h) =>
        `${h.name}=${h.origin?.key}@${h.origin?.file === file ? "" : path.relative(path.dirname(file), h.origin!.file!) + ":"}${h.origin?.line}`,
    ),
    vars: a.variables.map((v) => v.name),
  }));
}

function expectConfigError(
  fn: () => unknown,
  want: { file: string; line?: number; path?: string; detail: string },
): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(isConfigError(e), `expected a ConfigError, got ${String(e)}`);
    const ce = e as ConfigError;
    assert.deepEqual({ file: ce.file, line: ce.line, path: ce.path, detail: ce.detail }, want);
    return ce;
  }
  assert.fail("expected a ConfigError");
}

describe("loaders: the shared corpus", function () {
  before(function () {
    if (!fs.existsSync(CORPUS)) {
      console.log(`    skipped: corpus not found at ${CORPUS} (CI keeps shared/ beside the clone)`);
      this.skip();
    }
  });

  for (const row of TABLE) {
    it(`${row.file} → ${row.apps.map((a) => a.name).join(", ")}`, () => {
      const file = path.join(CORPUS, row.file);
      const cfg = loadConfig(file, row.profile ? { profile: row.profile } : {});
      assert.equal(cfg.profile, row.expect);
      assert.equal(cfg.files.length, row.files);
      assert.deepEqual(summary(file, cfg), row.apps);
      for (const a of cfg.apps) {
        assert.equal(a.profile, row.expect);
        for (const h of a.hooks) assert.equal(typeof h.script, "string");
      }
    });
  }

  it("every whole configuration file and env/CLI snippet is in the table or the error list", () => {
    const listed = new Set([...TABLE.map((r) => r.file), ...ERRORS.map((e) => e.file)]);
    const walk = (d: string): string[] =>
      fs
        .readdirSync(d, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
    const all = [
      ...walk(path.join(CORPUS, "repos")),
      ...walk(path.join(CORPUS, "clevercloud-snippets")),
    ].map((f) => path.relative(CORPUS, f));
    assert.deepEqual(all.filter((f) => !listed.has(f)).sort(), []);
  });

  const ERRORS: {
    file: string;
    profile?: LoaderProfile;
    line?: number;
    path?: string;
    detail: string;
  }[] = [
    {
      // the hook body lives in platformsh-scripts/hooks.deploy.sh, which the corpus does not keep
      file: "repos/platformsh-templates__gatsby-drupal/api/.platform.app.yaml",
      line: 23,
      path: "hooks.deploy",
      detail: "!include target not found: platformsh-scripts/hooks.deploy.sh",
    },
    {
      // a Markdown bullet, not an env line
      file: "clevercloud-snippets/romainnorberg__getresources.tech__readme.md.L62-63.extract.txt",
      profile: "cleverCloud",
      line: 2,
      detail:
        'expected KEY=value, got "- CC_POST_BUILD_HOOK=sh clevercloud/hook/post_build_hook.sh"',
    },
    {
      // Terraform HCL is not an env file
      file: "clevercloud-snippets/CleverCloud__terraform-provider-clevercloud__pkg__resources__nodejs__resource_nodejs_test_block.tf",
      profile: "cleverCloud",
      line: 1,
      detail: 'expected KEY=value, got "resource \\"clevercloud_nodejs\\" \\"%s\\" {"',
    },
    {
      file: "clevercloud-snippets/47ng__actions-clever-cloud__.github__workflows__e2e-reusable.yml",
      profile: "cleverCloud",
      detail:
        "a YAML file is not a Clever Cloud configuration (give an env file or clevercloud/*.json)",
    },
    {
      file: "clevercloud-snippets/CleverCloud__documentation__content__doc__ci-cd__github.md.L59-68.extract.yml",
      profile: "cleverCloud",
      detail:
        "a YAML file is not a Clever Cloud configuration (give an env file or clevercloud/*.json)",
    },
  ];

  for (const e of ERRORS) {
    it(`${e.file} fails precisely`, () => {
      const file = path.join(CORPUS, e.file);
      expectConfigError(() => loadConfig(file, e.profile ? { profile: e.profile } : {}), {
        file,
        line: e.line,
        path: e.path,
        detail: e.detail,
      });
    });
  }

  it("gally's services include (vcl: !include default.vcl) is never read: only applications are resolved", () => {
    const cfg = loadConfig(path.join(CORPUS, "repos/Elastic-Suite__gally/.upsun/config.yaml"));
    assert.deepEqual(
      cfg.apps.map((a) => a.name),
      ["api", "admin"],
    );
    assert.deepEqual(cfg.files, [
      path.join(CORPUS, "repos/Elastic-Suite__gally/.upsun/config.yaml"),
    ]);
  });
  // Scripts and values come out byte-exact: [file, forced profile, which text, exact text].
  const hook = (i: number) => (a: AppSpec) => a.hooks[i].script;
  const allHooks = (a: AppSpec) => a.hooks.map((h) => h.script);
  const variable = (i: number) => (a: AppSpec) => a.variables[i].value;
  const EXACT: [string, LoaderProfile | undefined, (a: AppSpec) => unknown, string | string[]][] = [
    [
      "repos/juice-shop__juice-shop/.platform/applications.yaml", // `$` inside sed
      undefined,
      hook(0),
      "sed -i '' -e 's$data/juiceshop.sqlite$data/db/juiceshop.sqlite$' models/index.js\nnpm install --production --unsafe-perm\nnpm dedupe\nrm -rf frontend/node_modules\n",
    ],
    [
      "repos/Elastic-Suite__gally/.upsun/config.yaml", // trailing spaces
      undefined,
      hook(0),
      "composer dump-autoload --no-dev --classmap-authoritative\nbin/console --env=prod assets:install --no-debug        \n",
    ],
    [
      "repos/NangoHQ__nango/.platform/applications.yaml", // plain scalars at EOF
      undefined,
      allHooks,
      ["yarn install", "yarn db:setup"],
    ],
    [
      "repos/FlowiseAI__Flowise/.upsun/config.yaml",
      undefined,
      hook(1),
      "set -eux\n# echo 'Put your deploy command here'\n",
    ],
    [
      "clevercloud-snippets/CleverCloud__documentation__content__doc__develop__build-hooks.md.L42-42.extract.env",
      undefined,
      hook(0),
      'echo "it works!"',
    ],
    [
      "clevercloud-snippets/CleverCloud__documentation__content__guides__docs.md.L65-75.extract.env",
      undefined,
      hook(0),
      "cd src/backend && pip install pip-tools && pip-compile pyproject.toml &&\npip-sync requirements.txt",
    ],
    [
      "clevercloud-snippets/nuxt__nuxt.com__content__3.deploy__clever-cloud.md.node-bun.extract.env",
      undefined,
      hook(0),
      "npm i -g bun && bun install && bun run build ",
    ],
    [
      "clevercloud-snippets/nuxt__nuxt.com__content__3.deploy__clever-cloud.md.static-yarn.extract.env",
      undefined,
      hook(1),
      "npx nuxi generate",
    ],
    [
      "clevercloud-snippets/wey-yu__hello-demo-nuxt__README.md.deploy.extract.sh",
      "cleverCloud",
      hook(0),
      "npm run build",
    ],
    [
      "clevercloud-snippets/DoctorC137__NextCloud-on-CleverCloud__README.md.L174-187.extract.sh",
      "cleverCloud",
      variable(3),
      "/",
    ],
  ];
  for (const [file, profile, text, want] of EXACT) {
    it(`keeps ${file} byte-exact`, () => {
      const [app] = loadConfig(path.join(CORPUS, file), profile ? { profile } : {}).apps;
      assert.deepEqual(text(app), want);
    });
  }

  it("stringifies variables.env like the platform and keeps the rest of variables in config", () => {
    const [app] = loadConfig(
      path.join(CORPUS, "repos/platformsh-templates__magentoCE24/.upsun/config.yaml"),
    ).apps;
    assert.deepEqual(
      app.variables.slice(0, 3).map((v) => [v.name, v.value, v.visibility, v.origin?.key]),
      [
        ["NVM_VERSION", "master", "both", "variables.env.NVM_VERSION"],
        ["NODE_VERSION", "20", "both", "variables.env.NODE_VERSION"],
        [
          "MAGENTO_DC_INDEXER__USE_APPLICATION_LOCK",
          "true",
          "both",
          "variables.env.MAGENTO_DC_INDEXER__USE_APPLICATION_LOCK",
        ],
      ],
    );
    assert.deepEqual(app.config.variables, { php: { memory_limit: "512M" } });
    const [sf] = loadConfig(
      path.join(CORPUS, "repos/platformsh-templates__symfony5/.platform.app.yaml"),
    ).apps;
    assert.deepEqual(
      sf.variables.map((v) => [v.name, v.value, v.origin?.line]),
      [
        ["APP_ENV", "prod", 20],
        ["APP_DEBUG", "0", 21],
      ],
    );
    assert.equal(sf.config.variables, undefined);
    assert.equal("hooks" in sf.config || "name" in sf.config, false);
  });

  it("legacy clevercloud/php.json warns about hooks.postDeploy", () => {
    const file = path.join(CORPUS, "repos/jeremyb__techmeetups/clevercloud/php.json");
    const cfg = loadConfig(file);
    assert.deepEqual(cfg.apps[0].hooks, [
      {
        name: "runSucceeded",
        script: "./clevercloud/postDeploy.sh",
        origin: { file, line: 6, key: "hooks.postDeploy" },
      },
    ]);
    assert.deepEqual(cfg.apps[0].config, { deploy: { webroot: "/web" }, runtime: "php" });
    assert.deepEqual(cfg.warnings, [
      `${file}:6: hooks.postDeploy is deprecated; it runs as CC_RUN_SUCCEEDED_HOOK`,
    ]);
  });
});
