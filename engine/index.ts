export * from "./types";
export * from "./snapshot";
export * from "./triggers";
export * from "./plan";
export * from "./steps";
