export * from "./profile";
export * from "./upsun";
export * from "./cleverCloud";
export * from "./custom";
export * from "./resolve";
