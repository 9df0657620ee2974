export * from "./changeClass";
export * from "./configError";
export * from "./fieldPath";
export * from "./app";
export * from "./suggest";
