struct Oops { int x; }
struct Next { int y; };
