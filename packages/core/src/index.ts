export * from "./types/data-type";
