// ESLint for the whole code base (src, simulator, test, scripts, bench), with type information from tsconfig.json.
//
// The rule set is @eslint/js's recommended plus typescript-eslint's recommendedTypeChecked: the type-aware rules that
// find real mistakes (floating promises, `any` leaking into typed code, awaiting non-promises, unbound methods,
// stringifying objects) without style opinions. Not strictTypeChecked, measured on this code base:
// - no-non-null-assertion (600+ findings): with noUncheckedIndexedAccess, `xs[i]!` after a bounds check is the idiom;
// - restrict-template-expressions as strict configures it (350+): numbers in messages are fine;
// - no-unnecessary-condition (40): mostly wrong here, since TypeScript cannot see a variable set in a test hook or a
//   stream's `destroyed` changing, and some types lie (`JSON.stringify` may return undefined, `columns` off a TTY);
// - no-confusing-void-expression (90): style.
// tsc (strict, noUnusedLocals, noUnusedParameters) still checks types; Prettier owns the layout, so no style rules.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/", ".cache/"] },
  // An eslint-disable comment that no longer disables anything fails the check: it would hide the next real finding.
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // node:test's test(), describe() and hooks return promises that the runner itself awaits and reports.
          allowForKnownSafeCalls: [
            { from: "package", package: "node:test", name: ["test", "it", "describe", "suite", "before", "after", "beforeEach", "afterEach"] },
          ],
        },
      ],
      // As tsc's noUnusedLocals: `const { sum, ...rest } = row` names `sum` to leave it out of `rest`.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
  {
    // The tests walk JSON answers (GraphQL, Elasticsearch, NDJSON lines, rendered manifests) whose shape is what they
    // check: a wrong shape fails an assertion or throws, which is the test failing as it should. Typing every answer
    // would restate the assertions, so `any` is allowed there; the product, the simulator and the scripts stay strict.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // The tests match the CLI's column-aligned lines (`/^ ok   Elasticsearch reachable/`): the literal spaces show the
      // line as a user sees it, where ` {3}` would have to be counted out.
      "no-regex-spaces": "off",
    },
  },
  {
    // This file and other plain JavaScript configs are not in tsconfig.json: lint them without type information.
    files: ["**/*.js"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
