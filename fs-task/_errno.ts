// The errno values the fs-task returns (negated), from linux-abi/.
export * from "../linux-abi/errno.ts";
