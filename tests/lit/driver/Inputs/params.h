typedef struct Params { float scale; int n; } Params;
