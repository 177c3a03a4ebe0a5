export * from "./data-type";
