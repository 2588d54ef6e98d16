export declare function pythonScript(name: "supervisor_binder.py" | "verify_client.py"): string;
