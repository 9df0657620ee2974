// ESLint flat config: typescript-eslint recommended rules plus the conventions of style-anchors.md.
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    // test/fixtures/apps: byte-exact copies of public template apps (their own style).
    ignores: ["node_modules/**", "dist/**", "examples/**/node_modules/**", "test/fixtures/apps/**"],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      curly: ["error", "multi-line"],
      eqeqeq: ["error", "smart"],
      "prefer-const": "error",
      "no-var": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Plain CommonJS entry points (the bin shim, the examples' tiny apps) use require().
    files: ["**/*.js"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
