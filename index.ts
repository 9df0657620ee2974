// Public API of deployhooks. Exports only.
export * from "./model";
export * from "./components";
